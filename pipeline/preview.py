"""The preview server: serves the local web root on loopback (the Procfile's `preview` process).

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
import urllib.parse
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self.root = root
        super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

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


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A preview server for `root` (not started: call `serve_forever`). Port 0 picks a free one."""
    resolved = Path(root).resolve()
    resolved.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((host, port), functools.partial(SiteHandler, root=resolved))
    server.daemon_threads = True
    return server


def server_url(server: ThreadingHTTPServer) -> str:
    """Base URL (with trailing slash) a started server answers at."""
    host, port = server.server_address[:2]
    host_text = host.decode() if isinstance(host, bytes) else str(host)
    return f"http://{host_text}:{port}/"
