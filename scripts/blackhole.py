#!/usr/bin/env python3
"""A webhook receiver that never answers: it accepts connections, reads what arrives and keeps the connection
open without ever sending a byte (for the `hang` benchmark). Standard library only.

Usage: blackhole.py --host 127.0.0.2 --port PORT [--port-file PATH]
"""

import argparse
import asyncio
import os
import signal


async def hold(reader, writer):
    try:
        while await reader.read(65536):
            pass
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.2")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    server = await asyncio.start_server(hold, args.host, args.port, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as out:
            out.write(str(port))
        os.rename(temporary, args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
