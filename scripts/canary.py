#!/usr/bin/env python3
"""Canary listener for alert-relay tests (Python 3 standard library only).

Listens on 127.0.0.1 and ::1 on the same port and appends one line per accepted connection to
--log FILE ("<unix time> accepted <peer> on <local>"), then closes the connection. An empty log
proves nothing connected to a target that must have been refused.

Usage: canary.py --log FILE [--port 0] [--port-file PATH]
With --port 0 a port free on both addresses is picked. Prints "canary listening on port N" when
ready. If IPv6 is unavailable it listens on 127.0.0.1 only and says so on stderr.
"""

import argparse
import errno
import os
import signal
import socket
import sys
import threading
import time

LOG_LOCK = threading.Lock()


def log_accept(path, peer, local):
    line = "%.6f accepted %s on %s\n" % (time.time(), peer, local)
    with LOG_LOCK:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


def fmt(addr):
    host, port = addr[0], addr[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def listen(family, host, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        s.bind((host, port))
        s.listen(64)
    except OSError:
        s.close()
        raise
    return s


def open_listeners(port):
    """Returns (port, [sockets]); with port 0 retries until a port is free on both addresses."""
    attempts = 50 if port == 0 else 1
    last_error = None
    for _ in range(attempts):
        v4 = listen(socket.AF_INET, "127.0.0.1", port)
        chosen = v4.getsockname()[1]
        try:
            v6 = listen(socket.AF_INET6, "::1", chosen)
        except OSError as e:
            last_error = e
            if e.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):  # no IPv6, or ::1 not assigned
                print("canary: IPv6 unavailable (%s); listening on 127.0.0.1 only" % e, file=sys.stderr)
                return chosen, [v4]
            v4.close()
            continue
        return chosen, [v4, v6]
    raise SystemExit("canary: could not bind 127.0.0.1 and ::1 on one port: %s" % last_error)


def serve(sock, log_path):
    local = fmt(sock.getsockname())
    while True:
        try:
            conn, peer = sock.accept()
        except OSError:
            return
        try:
            log_accept(log_path, fmt(peer), local)
        finally:
            conn.close()


def unblock_termination_signals():
    """A parent may spawn us with SIGTERM blocked (Swift test threads do); make SIGTERM/SIGINT work."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


def write_port_file(path, port):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main():
    unblock_termination_signals()
    parser = argparse.ArgumentParser(description="records every accepted connection")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    open(args.log, "a").close()
    port, sockets = open_listeners(args.port)
    threads = [threading.Thread(target=serve, args=(s, args.log), daemon=True) for s in sockets]
    for t in threads:
        t.start()
    if args.port_file:
        write_port_file(args.port_file, port)
    print("canary listening on port %d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
