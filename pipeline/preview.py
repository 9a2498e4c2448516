"""The preview server: serves the local web root on loopback (the Procfile's `preview` process).

It also serves the unsubscribe endpoints when given an `Unsubscriber` (`pipeline serve` does):
`GET /unsubscribe/<token>` is a confirmation page (a mail scanner that follows the link unsubscribes
nobody), `POST` to the same URL unsubscribes: the RFC 8058 one-click body
`List-Unsubscribe=One-Click` from a mail client, or the page's button. Both are idempotent and need
no login; the signed token is the only credential.

Only sites are served (`/<slug>/...`, following the slug symlink into its version directory);
dot-paths (`.versions`, `.locks`), traversal and anything resolving outside the root answer 404,
and there are no directory listings. HTML is revalidated on every visit (`no-cache`), because a
deploy switches it in place; the other files carry their content hash in the name, so they are
cached for a year as immutable.
"""

from __future__ import annotations

import functools
import os
import posixpath
import sys
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.mail.unsubscribe import Unsubscriber

UNSUBSCRIBE = "/unsubscribe/"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".woff2": "font/woff2",
}
HTML_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files of the web root, with the refusals and headers described above."""

    server_version = "PipelinePreview/1"
    sys_version = ""
    root: Path
    unsubscriber: Unsubscriber | None

    def __init__(self, *args: object, root: Path, unsubscriber: Unsubscriber | None = None, **kwargs: object) -> None:
        self.root = root
        self.unsubscriber = unsubscriber
        super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        """A site file, or the unsubscribe confirmation page."""
        if self.unsubscriber and self.path.startswith(UNSUBSCRIBE):
            self._unsubscribe(post=False)
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        """Like GET, without the body; the unsubscribe page has no HEAD."""
        if self.path.startswith(UNSUBSCRIBE):
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        super().do_HEAD()

    def do_POST(self) -> None:
        """Unsubscribe (one-click or the page's button); nothing else takes a POST."""
        if not (self.unsubscriber and self.path.startswith(UNSUBSCRIBE)):
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        self._unsubscribe(post=True)

    def _unsubscribe(self, *, post: bool) -> None:
        """The unsubscribe endpoint; a Redis outage is a 503 (the mail client or person retries)."""
        import redis

        try:
            self._unsubscribe_page(post=post)
        except (redis.ConnectionError, redis.TimeoutError):
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"unsubscribe is unavailable, try again soon\n", "text/plain")

    def _unsubscribe_page(self, *, post: bool) -> None:
        assert self.unsubscriber is not None
        token = urllib.parse.unquote(self.path[len(UNSUBSCRIBE) :].split("?", 1)[0])
        length = min(int(self.headers.get("Content-Length") or 0), 10_000) if post else 0
        body = self.rfile.read(length).decode("utf-8", "replace") if length > 0 else ""
        one_click = "List-Unsubscribe=One-Click" in body
        email = self.unsubscriber.address(token)
        if email is None:
            state, status = "invalid", HTTPStatus.NOT_FOUND
        elif post:
            self.unsubscriber.unsubscribe(token, "one-click" if one_click else "unsubscribe page")
            state, status = "done", HTTPStatus.OK
        else:
            state = "done" if self.unsubscriber.is_suppressed(email) else "ask"
            status = HTTPStatus.OK
        if one_click and email is not None:
            self._send(status, b"unsubscribed\n", "text/plain; charset=utf-8")
            return
        from pipeline.mail.unsubscribe import render_page

        page = render_page(state, email or "", self.unsubscriber.sender_name)
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the preview server is a tool, not a log source."""

    def translate_path(self, path: str) -> str:
        """Map the URL to a file, or to a path that does not exist when it is refused."""
        refused = str(self.root / ".refused" / "nothing")
        raw = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        parts = [p for p in raw.split("/") if p]
        if not parts or "\\" in raw or "\0" in raw or any(p.startswith(".") for p in parts):
            return refused
        candidate = (self.root / posixpath.join(*parts)).resolve()
        if not candidate.is_relative_to(self.root):
            return refused
        return str(candidate) + ("/" if raw.endswith("/") else "")

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """No listings: a directory without an index is not found."""
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """Content types of the files sites consist of, with a charset for text."""
        return CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")

    def end_headers(self) -> None:
        """Cache and safety headers on every response."""
        path = self.path.split("?", 1)[0]
        is_page = path.endswith("/") or path.endswith(".html")
        if path.startswith(UNSUBSCRIBE):
            self.send_header("Cache-Control", "no-store")
        else:
            self.send_header("Cache-Control", HTML_CACHE if is_page or self._status >= 300 else ASSET_CACHE)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if path.endswith(".svg"):
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        super().end_headers()

    _status = 200

    def send_response(self, code: int, message: str | None = None) -> None:
        """Remember the status so `end_headers` can pick the cache policy."""
        self._status = int(code)
        super().send_response(code, message)


def make_server(
    root: Path, host: str = "127.0.0.1", port: int = 0, unsubscriber: Unsubscriber | None = None
) -> ThreadingHTTPServer:
    """A preview server for `root` (not started: call `serve_forever`). Port 0 picks a free one.
    With an `unsubscriber`, it also serves the unsubscribe endpoints."""
    resolved = Path(root).resolve()
    resolved.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(SiteHandler, root=resolved, unsubscriber=unsubscriber)
    server = _QuietServer((host, port), handler)
    server.daemon_threads = True
    return server


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-response (a browser cancelling a load, a checker that saw
    enough) is routine: no traceback on stderr for it. Any other error is reported as usual."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def server_url(server: ThreadingHTTPServer) -> str:
    """Base URL (with trailing slash) a started server answers at."""
    host, port = server.server_address[:2]
    host_text = host.decode() if isinstance(host, bytes) else str(host)
    return f"http://{host_text}:{port}/"
