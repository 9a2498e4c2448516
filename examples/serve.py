"""Serve the example prospect sites for `make demo`: each folder of examples/sites/ on its own
loopback port, in name order from --first-port (8701, 8702, ...). Stops on SIGTERM/Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import functools
import signal
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITES = Path(__file__).resolve().parent / "sites"
ORDER = ["rosies-bakery", "northside-plumbing", "bloom-florist"]


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first-port", type=int, default=8701)
    args = parser.parse_args()
    servers = []
    for i, name in enumerate(ORDER):
        handler = functools.partial(Quiet, directory=str(SITES / name))
        server = ThreadingHTTPServer(("127.0.0.1", args.first_port + i), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        print(f"example site {name}: http://127.0.0.1:{args.first_port + i}/", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for server in servers:
        server.shutdown()


if __name__ == "__main__":
    main()
