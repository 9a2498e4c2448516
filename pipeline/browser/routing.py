"""Request routing: every request a page makes is answered by the scraper's guarded `Fetcher`.

A context's `route("**/*")` goes to a `Router`, so the address guard, size cap and deadline hold for
the browser exactly as for the scraper; a built bundle is served from memory at `BUNDLE_ORIGIN`;
websockets are refused. Each request is logged on the page's `Tab` as a `Served`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import CDPSession, Page, Route, WebSocketRoute

from pipeline.errors import BlockedAddress, PermanentError, PipelineError
from pipeline.preview import CONTENT_TYPES
from pipeline.scrape.fetch import Fetcher, Response

Allow = Callable[[str, str], bool]  # (url, resource type) → may the page have it
Vet = Callable[[str, str, Response], bool]  # (url, resource type, fetched response) → may the page get it

# In-memory bundles are served at this origin (`.invalid` is refused by the guard: never fetched).
BUNDLE_ORIGIN = "http://bundle.invalid/"
# Headers a fulfilled response must not repeat: the fetcher already decoded and measured the body.
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})
_STATUS_IN_ERROR = re.compile(r"\bHTTP (\d{3})\b")


@dataclass
class Served:
    """One request of a page and how the guarded fetcher answered it."""

    url: str
    resource_type: str
    status: int | None = None
    bytes: int = 0
    media_type: str = ""
    error: str | None = None
    blocked: bool = False
    ms: float = 0.0


@dataclass
class Tab:
    """A loaded page in its own fresh context, with the log of every request it made."""

    page: Page
    url: str
    requests: list[Served] = field(default_factory=list)
    session: CDPSession | None = None  # the page's DevTools session, when it keeps one (a reused page)

    @property
    def bytes(self) -> int:
        """Bytes the page received, all requests together."""
        return sum(r.bytes for r in self.requests)

    def devtools(self) -> CDPSession:
        """The page's DevTools session (opened on first use; it ends with the page's context)."""
        if self.session is None:
            self.session = self.page.context.new_cdp_session(self.page)
        return self.session


class Router:
    """Answers a context's requests through one `Fetcher`, within a per-site byte budget; requests
    under `BUNDLE_ORIGIN` are answered from `files` in memory (a built bundle, never the network)."""

    def __init__(self, fetcher: Fetcher, tab: Tab, budget_bytes: int, files: Mapping[str, bytes] | None) -> None:
        self.fetcher = fetcher
        self.tab = tab
        self.budget_bytes = budget_bytes
        self.files = files
        self.allow: Allow | None = None  # the caller's filters and answers (see `Browser.open`)
        self.vet: Vet | None = None
        self.prefetched: dict[str, Response] = {}
        self.errors: dict[str, PipelineError] = {}
        self._redirected: dict[str, Response] = {}
        self.moved_to: str | None = None

    def reset(self, fetcher: Fetcher, tab: Tab) -> None:
        """Answer the next site's requests (a reused page): its own fetcher, log and errors."""
        self.fetcher, self.tab, self.files = fetcher, tab, None
        self.allow, self.vet, self.prefetched = None, None, {}
        self.errors, self._redirected, self.moved_to = {}, {}, None

    def handle(self, route: Route) -> None:
        """Route handler: fetch through the guard, then fulfil or abort."""
        request = route.request
        url = request.url.split("#", 1)[0]
        served = Served(url=url, resource_type=request.resource_type)
        self.tab.requests.append(served)
        started = time.perf_counter()
        if self.files is not None and url.startswith(BUNDLE_ORIGIN):
            self._from_memory(route, served)
            return
        try:
            resp = self._fetch(url, request.method, request.resource_type)
        except PipelineError as exc:
            self.errors[url] = exc
            served.error, served.blocked = str(exc), isinstance(exc, BlockedAddress)
            served.status = status_of(exc)
            served.ms = (time.perf_counter() - started) * 1000
            if served.status is not None:
                route.fulfill(status=served.status, body=b"", headers={"content-type": "text/plain"})
            else:
                route.abort("blockedbyclient" if served.blocked else "failed")
            return
        served.ms = (time.perf_counter() - started) * 1000
        served.status, served.bytes, served.media_type = resp.status, len(resp.content), resp.media_type
        if resp.url != url and request.is_navigation_request() and request.frame.parent_frame is None:
            # The page must live at its final URL, or its relative links resolve against the old one.
            # A fulfilled redirect would be followed outside the interception, so this navigation is
            # dropped and `Browser._goto` opens the final URL, answered from `_redirected`.
            self._redirected[resp.url] = resp
            self.moved_to = resp.url
            route.abort("aborted")
            return
        headers = {k: v for k, v in resp.headers.items() if k not in _DROPPED_HEADERS}
        route.fulfill(status=resp.status, headers=headers, body=resp.content)

    def _from_memory(self, route: Route, served: Served) -> None:
        path = urlsplit(served.url).path.lstrip("/")
        path = path + "index.html" if not path or path.endswith("/") else path
        body = self.files.get(path) if self.files is not None else None
        if body is None:
            served.status = 404
            route.fulfill(status=404, body=b"", headers={"content-type": "text/plain"})
            return
        media = CONTENT_TYPES.get(PurePosixPath(path).suffix.lower(), "application/octet-stream")
        served.status, served.bytes, served.media_type = 200, len(body), media.split(";")[0]
        route.fulfill(status=200, body=body, headers={"content-type": media})

    def _fetch(self, url: str, method: str, kind: str) -> Response:
        if url in self._redirected:
            return self._redirected.pop(url)
        allow = self.allow
        if allow is not None and not allow(url, kind):
            raise BlockedAddress(f"{url}: not wanted by the caller ({kind})")
        if url in self.prefetched:
            return self.prefetched.pop(url)
        if not url.startswith(("http://", "https://")):
            raise BlockedAddress(f"scheme of {url[:60]!r} is not http(s)")
        if method not in ("GET", "HEAD"):
            raise BlockedAddress(f"{method} {url}: the renderer sends no forms or writes")
        remaining = self.budget_bytes - self.tab.bytes
        if remaining <= 0:
            raise PermanentError(f"{url}: the page's budget of {self.budget_bytes} bytes is spent")
        resp = self.fetcher.get(
            url,
            accept=(),
            max_bytes=min(remaining, self.fetcher.settings.fetch_max_bytes),
            stay=None if allow is None else (lambda hop: allow(hop, kind)),
        )
        if self.vet is not None and not self.vet(url, kind, resp):
            raise BlockedAddress(f"{url}: refused by the caller after fetching ({kind})")
        return resp


def status_of(exc: PipelineError) -> int | None:
    """The HTTP status a fetch error reports (`PermanentError("…: HTTP 404")`), None for others."""
    found = _STATUS_IN_ERROR.search(str(exc))
    return int(found.group(1)) if found else None


def refuse_websocket(tab: Tab) -> Any:
    """A websocket route handler that refuses every websocket of `tab`'s page and logs it there."""

    def handle(ws: WebSocketRoute) -> None:
        # Not calling connect_to_server() means no connection is made; closing tells the page.
        tab.requests.append(Served(url=ws.url, resource_type="websocket", error="websockets refused", blocked=True))
        ws.close(code=1008, reason="websockets are refused")

    return handle
