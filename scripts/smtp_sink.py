#!/usr/bin/env python3
"""SMTP sink for alert-relay tests (needs aiosmtpd from PyPI).

Accepts every message and writes it to --mailbox DIR as NAME.eml holding the message bytes exactly
as received (after SMTP dot-unstuffing), plus a sidecar NAME.json:
  {"mail_from": "a@x", "rcpt_tos": ["b@y", ...], "received_at": <Unix seconds>, "peer": "127.0.0.1:1234"}
Both files are written under a hidden temporary name and renamed; the .json is renamed before the
.eml, so once NAME.eml exists its sidecar exists too.

--reject-recipients-file PATH: recipients listed there (one per line, case-insensitive; the file is
re-read on every RCPT, a missing file rejects nobody) get "550 5.1.1 mailbox unavailable".

Usage: smtp_sink.py --mailbox DIR [--host 127.0.0.1] [--port 0] [--port-file PATH]
       [--reject-recipients-file PATH]
Prints "smtp_sink listening on HOST:PORT" once it accepts connections.
"""

import argparse
import asyncio
import itertools
import json
import os
import signal
import time

from aiosmtpd.smtp import SMTP


def write_atomically(directory, name, data):
    tmp = os.path.join(directory, ".%s.tmp" % name)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(directory, name))


def normalize(address):
    return address.strip().strip("<>").strip().lower()


class SinkHandler:
    def __init__(self, mailbox, reject_file):
        self.mailbox = mailbox
        self.reject_file = reject_file
        self.counter = itertools.count(1)

    def rejected(self):
        if not self.reject_file:
            return set()
        try:
            with open(self.reject_file, "r", encoding="utf-8") as f:
                return {normalize(line) for line in f if line.strip()}
        except FileNotFoundError:
            return set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if normalize(address) in self.rejected():
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%d-%06d" % (time.time_ns(), next(self.counter))
        peer = session.peer
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "received_at": time.time(),
            "peer": "%s:%s" % (peer[0], peer[1]) if isinstance(peer, tuple) else str(peer),
        }
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        write_atomically(self.mailbox, name + ".json", json.dumps(meta).encode("utf-8"))
        write_atomically(self.mailbox, name + ".eml", raw)
        return "250 2.0.0 Message accepted for delivery"


def unblock_termination_signals():
    """A parent may spawn us with SIGTERM blocked (Swift test threads do); make SIGTERM/SIGINT work."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


async def serve(args):
    os.makedirs(args.mailbox, exist_ok=True)
    handler = SinkHandler(args.mailbox, args.reject_recipients_file)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, decode_data=False, enable_SMTPUTF8=True, hostname="smtp-sink.test"),
        host=args.host,
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    host = "[%s]" % args.host if ":" in args.host else args.host
    print("smtp_sink listening on %s:%d" % (host, port), flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    unblock_termination_signals()
    parser = argparse.ArgumentParser(description="SMTP sink writing .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file")
    parser.add_argument("--mailbox", required=True)
    parser.add_argument("--reject-recipients-file")
    args = parser.parse_args()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
