#!/usr/bin/env python3
"""Sends the same POST at a steady rate for a while, on a few keep-alive connections (each connection at its share
of the rate; a slow answer delays only its own connection) (for the `hang` benchmark's
stream of alerts to an app whose receiver never answers). Prints the status counts as JSON when done.
Standard library only.

Usage: pace.py --url URL --rate PER_SECOND --seconds N --body FILE [--header 'Name: value' ...] [--connections 4]
"""

import argparse
import http.client
import json
import threading
import time
import urllib.parse


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    body = open(args.body, "rb").read()
    headers = {"Content-Type": "application/json"}
    for item in args.header:
        name, _, value = item.partition(":")
        headers[name.strip()] = value.strip()
    counts = {}
    lock = threading.Lock()
    start = time.monotonic()
    interval = args.connections / args.rate

    end = start + args.seconds

    def run(index):
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        due = start + index * interval / args.connections
        while due < end:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                connection.request("POST", url.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            with lock:
                counts[status] = counts.get(status, 0) + 1
            # A slow answer skips the slots it missed instead of sending them back to back afterwards.
            due = max(due + interval, time.monotonic())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
