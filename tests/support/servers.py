"""HTTP servers on 127.0.0.1 for tests: a static directory, or a custom handler."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietStatic(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler] | functools.partial) -> Iterator[str]:  # type: ignore[type-arg]
    """Run `handler` on a free loopback port; yields the base URL (with trailing slash)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # a short poll: shutdown() waits up to one poll interval, and tests start hundreds of servers
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve a directory at the root of its own origin on a free loopback port."""
    with serve(functools.partial(_QuietStatic, directory=str(root))) as url:
        yield url


def send_html(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200) -> None:
    """Answer a request with an HTML body."""
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
