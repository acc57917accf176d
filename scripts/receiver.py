#!/usr/bin/env python3
"""Recording HTTP receiver for alert-relay tests (Python 3 standard library only).

Every request to a path outside /_control/ is recorded with its raw body and answered from the
rules for its path (default: 200 {"ok":true}). HTTP/1.1 with keep-alive.

Control API:
  POST /_control/reset                 clears the recording and all rules
  POST /_control/rules                 {"path": "/x", "responses": [{"status": 500, "headers": {...},
                                        "body": "...", "hang_seconds": 0}, ...]}
                                       successive requests to /x get successive responses, the last
                                       one repeats; posting rules for a path again restarts them.
                                       A response may give "body_b64" instead of "body".
  GET  /_control/requests[?path=/x]    JSON list, in arrival order, of
                                       {"method", "path", "query", "headers": [[name, value], ...],
                                        "body_b64", "received_at" (Unix seconds, float), "peer"}
  GET  /_control/concurrency?path=/x   {"in_flight": N, "max_in_flight": N}: requests to /x being answered now,
                                       and the most at once since the rules for /x were last set
  GET  /_control/health                200 {"ok":true}

Usage: receiver.py [--host 127.0.0.1] [--port 0] [--port-file PATH] [--verbose]
With --port 0 a free port is picked; the chosen port is printed ("receiver listening on HOST:PORT")
and written to --port-file (written under a temporary name and renamed, so readers never see a
partial file).
"""

import argparse
import base64
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEFAULT_RESPONSE = {"status": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok":true}'}
MAX_BODY = 64 * 1024 * 1024


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.rules = {}  # path -> {"responses": [...], "next": int}
        self.in_flight = {}  # path -> requests being answered
        self.max_in_flight = {}  # path -> most at once

    def reset(self):
        with self.lock:
            self.requests = []
            self.rules = {}
            self.in_flight = {}
            self.max_in_flight = {}

    def set_rule(self, path, responses):
        with self.lock:
            self.rules[path] = {"responses": list(responses), "next": 0}
            self.max_in_flight[path] = self.in_flight.get(path, 0)

    def enter(self, path):
        with self.lock:
            now = self.in_flight.get(path, 0) + 1
            self.in_flight[path] = now
            self.max_in_flight[path] = max(self.max_in_flight.get(path, 0), now)

    def leave(self, path):
        with self.lock:
            self.in_flight[path] = self.in_flight.get(path, 1) - 1

    def concurrency(self, path):
        with self.lock:
            return {"in_flight": self.in_flight.get(path, 0), "max_in_flight": self.max_in_flight.get(path, 0)}

    def record_and_pick(self, entry):
        with self.lock:
            self.requests.append(entry)
            rule = self.rules.get(entry["path"])
            if rule is None or not rule["responses"]:
                return DEFAULT_RESPONSE
            index = min(rule["next"], len(rule["responses"]) - 1)
            rule["next"] += 1
            return rule["responses"][index]

    def list_requests(self, path):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]


STATE = State()


class BadRequest(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    verbose = False

    def version_string(self):
        return "alert-relay-test-receiver"

    # BaseHTTPRequestHandler dispatches to do_<METHOD>; answer every method the same way.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format, *args):
        if self.verbose:
            sys.stderr.write("receiver: " + (format % args) + "\n")

    def _read_body(self):
        transfer_encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in transfer_encoding:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise BadRequest("truncated chunked body")
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequest("bad chunk size")
                if size == 0:
                    # Trailer section ends with an empty line.
                    while True:
                        trailer = self.rfile.readline(65537)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    raise BadRequest("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BadRequest("bad Content-Length")
        if n < 0 or n > MAX_BODY:
            raise BadRequest("bad Content-Length")
        return self.rfile.read(n)

    def _send(self, status, headers, body):
        self.send_response(status)
        has_type = False
        for name, value in headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            if name.lower() == "content-type":
                has_type = True
            self.send_header(name, str(value))
        if not has_type and body:
            self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _send_json(self, status, obj):
        self._send(status, {"Content-Type": "application/json"}, json.dumps(obj).encode())

    def _handle(self):
        try:
            body = self._read_body()
        except BadRequest as e:
            self.close_connection = True
            self._send_json(400, {"error": str(e)})
            return
        parts = urlsplit(self.path)
        path = parts.path
        try:
            if path.startswith("/_control/"):
                self._control(path, parts.query, body)
            else:
                self._record(path, parts.query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _control(self, path, query, body):
        if path == "/_control/reset" and self.command == "POST":
            STATE.reset()
            self._send_json(200, {"ok": True})
        elif path == "/_control/rules" and self.command == "POST":
            try:
                spec = json.loads(body or b"{}")
                rule_path = spec["path"]
                responses = spec.get("responses", [])
                if not isinstance(rule_path, str) or not isinstance(responses, list):
                    raise ValueError("path must be a string and responses a list")
                for r in responses:
                    if not isinstance(r, dict):
                        raise ValueError("each response must be an object")
                    if "body_b64" in r:
                        base64.b64decode(r["body_b64"], validate=True)
            except (ValueError, KeyError, TypeError) as e:
                self._send_json(400, {"error": "invalid rule: %s" % e})
                return
            STATE.set_rule(rule_path, responses)
            self._send_json(200, {"ok": True})
        elif path == "/_control/requests" and self.command == "GET":
            wanted = parse_qs(query).get("path", [None])[0]
            self._send_json(200, STATE.list_requests(wanted))
        elif path == "/_control/concurrency" and self.command == "GET":
            wanted = parse_qs(query).get("path", [""])[0]
            self._send_json(200, STATE.concurrency(wanted))
        elif path == "/_control/health":
            self._send_json(200, {"ok": True})
        else:
            self._send_json(404, {"error": "unknown control endpoint"})

    def _record(self, path, query, body):
        peer = self.client_address
        entry = {
            "method": self.command,
            "path": path,
            "query": query,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body_b64": base64.b64encode(body).decode("ascii"),
            "received_at": time.time(),
            "peer": "%s:%d" % (peer[0], peer[1]) if ":" not in peer[0] else "[%s]:%d" % (peer[0], peer[1]),
        }
        STATE.enter(path)
        try:
            response = STATE.record_and_pick(entry)
            hang = float(response.get("hang_seconds", 0) or 0)
            if hang > 0:
                time.sleep(hang)
            if "body_b64" in response:
                out = base64.b64decode(response["body_b64"])
            else:
                out = str(response.get("body", "")).encode("utf-8")
            self._send(int(response.get("status", 200)), dict(response.get("headers", {})), out)
        finally:
            STATE.leave(path)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


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
    parser = argparse.ArgumentParser(description="recording HTTP receiver for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the chosen port here")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    Handler.verbose = args.verbose
    if ":" in args.host:
        Server.address_family = socket.AF_INET6
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    host = "[%s]" % args.host if ":" in args.host else args.host
    print("receiver listening on %s:%d" % (host, port), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
