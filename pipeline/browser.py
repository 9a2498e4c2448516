"""The one place the pipeline drives a browser: Debian's Chromium under Playwright's sync API.

The browser is a renderer, never a network client (../shared/DESIGN.md). Every request a page makes
is intercepted (`context.route("**/*")`) and answered by the scraper's guarded `Fetcher`, so the
address guard, size cap and deadline hold for the browser exactly as for the scraper. Whatever could
still open a connection by itself (preconnect, DNS prefetch, WebRTC, background services) meets a
proxy that does not exist and a resolver that knows no name; websockets are refused and service
workers blocked.

    browser = Browser(settings)                  # lazy: Chromium starts on first use
    with browser.page(url, javascript=False) as page:
        page.title()                             # a loaded Playwright Page in a fresh context
    with browser.open(url, viewport=MOBILE) as tab:
        tab.requests                             # every request, as the guarded fetcher answered it
        screenshot_webp(tab.page)

One Playwright driver and one warm browser per worker process (`shared(settings)`), a fresh context
per site, restarted after a crash or every `browser_restart_after_sites` sites. A browser crash is a `TransientError`.
Playwright's sync API is bound to the thread that started it: use a `Browser` from one thread.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import (
    BrowserContext,
    CDPSession,
    Page,
    Playwright,
    Route,
    ViewportSize,
    WebSocketRoute,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipeline import netguard
from pipeline.errors import BlockedAddress, PermanentError, PipelineError, TransientError
from pipeline.media import raster
from pipeline.preview import CONTENT_TYPES
from pipeline.scrape.fetch import Fetcher, Response
from pipeline.settings import Settings

log = logging.getLogger("pipeline.browser")

Allow = Callable[[str, str], bool]  # (url, resource type) → may the page have it
Vet = Callable[[str, str, Response], bool]  # (url, resource type, fetched response) → may the page get it
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 375, "height": 740}

# A proxy nobody listens on (the discard port) and a resolver that knows no name: a connection the
# browser tried to open by itself, outside the interception, fails on loopback instead of leaving.
SINK_PROXY = "http://127.0.0.1:9"
# In-memory bundles are served at this origin (`.invalid` is refused by the guard: never fetched).
BUNDLE_ORIGIN = "http://bundle.invalid/"
# Chromium keeps only the last --disable-features switch, so ours repeats the list Playwright passes
# (1.65; tests/test_browser.py fails when a Playwright upgrade changes it) and adds what the new
# headless mode (the whole browser) runs for a person at a screen: the omnibox's WebUI popups, which
# it preloads in a renderer of their own on the first page of every launch (that renderer and its
# upkeep in the browser process: ~1.4 CPU-s per launch and ~0.1 CPU-s per page gated), and
# Translate's language detection of every page loaded (~0.04 CPU-s a page).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
DISABLED_FEATURES = (
    *PLAYWRIGHT_DISABLED_FEATURES,
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "PreloadTopChromeWebUI",
    "Translate",
)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--dns-prefetch-disable",
    f"--proxy-server={SINK_PROXY}",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)
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


class _Router:
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
            # dropped and `_goto` opens the final URL, answered from `_redirected`.
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


class Browser:
    """A lazily started, restartable Chromium whose pages reach the network only through the guard.

    `resolver` goes to the fetcher (tests point names at loopback servers)."""

    def __init__(self, settings: Settings, *, resolver: netguard.Resolver = netguard.system_resolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self.launches = 0
        self._browser: PWBrowser | None = None
        self._sites = 0
        self._warm: dict[tuple[bool, str | None], _Warm] = {}

    # --- life cycle ------------------------------------------------------------------------------
    def _chromium(self) -> PWBrowser:
        """The running browser, (re)started when absent, disconnected or due for a restart."""
        due = self._sites >= self.settings.browser_restart_after_sites
        if self._browser is not None and (due or not self._browser.is_connected()):
            self._drop_browser()
        if self._browser is None:
            try:
                self._browser = driver().chromium.launch(
                    executable_path=str(self.settings.chromium_path),
                    args=list(CHROMIUM_ARGS),
                    timeout=self.settings.browser_timeout_s * 1000,
                )
            except PlaywrightError as exc:
                raise TransientError(f"chromium did not start ({self.settings.chromium_path}): {exc}") from exc
            self.launches += 1
            self._sites = 0
            log.info("chromium started (launch %s)", self.launches)
        return self._browser

    def _drop_browser(self) -> None:
        self._warm.clear()
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(PlaywrightError):  # already gone: that is why it is dropped
                browser.close()

    def close(self) -> None:
        """Stop the browser (a later `open` starts it again)."""
        self._drop_browser()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_context(self, javascript: bool, viewport: ViewportSize) -> BrowserContext:
        options: dict[str, Any] = {
            "viewport": viewport,
            "java_script_enabled": javascript,
            "service_workers": "block",
            "accept_downloads": False,
        }
        try:
            return self._chromium().new_context(**options)
        except PlaywrightError:
            # Crashed between two sites: a dead browser is only noticed on use. Start afresh once.
            self._drop_browser()
            try:
                return self._chromium().new_context(**options)
            except PlaywrightError as exc:
                self._drop_browser()
                raise TransientError(f"chromium crashed: {exc}") from exc

    # --- pages -----------------------------------------------------------------------------------
    @contextmanager
    def open(
        self,
        site_url: str,
        *,
        javascript: bool = False,
        viewport: ViewportSize = DESKTOP,
        files: Mapping[str, bytes] | None = None,
        allow: Allow | None = None,
        prefetched: Mapping[str, Response] | None = None,
        vet: Vet | None = None,
        init_script: str | None = None,
    ) -> Iterator[Tab]:
        """Load `site_url` in a fresh context and yield it as a `Tab`; the context closes afterwards.

        JavaScript is off unless asked for (prospect pages: always off). The main document's fetch
        error is raised as the fetcher raised it (`BlockedAddress`, `PermanentError` for a 4xx,
        `TransientError` for a 5xx or a timeout); a browser crash is a `TransientError`.
        With `files` (path → bytes, e.g. a built bundle), `BUNDLE_ORIGIN` is served from them:
        `open(BUNDLE_ORIGIN, files=...)` renders a bundle that was never deployed.
        `allow(url, resource_type)` must accept a request (and each redirect hop) before the fetcher
        is asked; `prefetched` answers URLs the caller already fetched through the guard, once each;
        `vet` sees each fetched body before Chromium does. The scraper's renderer uses all three
        (its own origin only, no fonts or media, the crawl's pages from memory, image bombs refused).
        `init_script` runs in every document of the context before the page's own scripts (the
        gates' axe-core: sent to the browser once per context instead of evaluated per page)."""
        context = self._new_context(javascript, viewport)
        self._sites += 1
        crashed: list[str] = []
        with Fetcher(self.settings, resolver=self.resolver) as fetcher:
            try:
                page = context.new_page()
                page.on("crash", lambda _page: crashed.append("page crashed"))
                tab = Tab(page=page, url=site_url)
                router = _Router(fetcher, tab, self.settings.browser_page_max_bytes, files)
                router.allow, router.vet, router.prefetched = allow, vet, dict(prefetched or {})
                context.route("**/*", router.handle)
                context.route_web_socket("**/*", _refuse_websocket(tab))
                if init_script is not None:
                    context.add_init_script(init_script)
                self._goto(page, site_url, router)
                yield tab
            except PlaywrightError as exc:
                if crashed or self._browser is None or not self._browser.is_connected():
                    self._drop_browser()
                    raise TransientError(f"chromium crashed while on {site_url}: {exc}") from exc
                raise
            finally:
                try:
                    context.close()
                except PlaywrightError:
                    self._drop_browser()

    @contextmanager
    def reused(
        self,
        site_url: str,
        *,
        javascript: bool = False,
        viewport: ViewportSize = DESKTOP,
        init_script: str | None = None,
    ) -> Iterator[Tab]:
        """Like `open`, but on one long-lived page per JavaScript setting and init script instead of a
        fresh context: about a third of the cost per site, because the renderer process and its
        compiled scripts (axe-core's 570 KB above all) stay warm. Sites stay apart all the same: each gets its own
        fetcher, request log and byte budget; between sites the page goes to about:blank (the site's
        document, timers and in-flight requests end there), the tab's `window.name` is emptied, and
        the context's cookies, permissions, HTTP cache and the storage of every origin the site
        touched (local and session storage, IndexedDB, cache storage) are cleared; service workers
        are blocked, so none can linger (tests/test_browser.py checks each of these).
        For our own generated pages (the gates); a prospect's page gets a fresh context (`open`)."""
        key = (javascript, init_script)
        warm = self._warm_page(key)
        self._sites += 1
        with Fetcher(self.settings, resolver=self.resolver) as fetcher:
            tab = Tab(page=warm.page, url=site_url, session=warm.cdp)
            warm.router.reset(fetcher, tab)
            try:
                warm.page.set_viewport_size(viewport)
                self._goto(warm.page, site_url, warm.router)
                yield tab
            except PlaywrightError as exc:
                self._warm.pop(key, None)
                if warm.crashed or self._browser is None or not self._browser.is_connected():
                    self._drop_browser()
                    raise TransientError(f"chromium crashed while on {site_url}: {exc}") from exc
                raise
            finally:
                self._scrub(key, warm, tab)

    def _warm_page(self, key: tuple[bool, str | None]) -> _Warm:
        warm = self._warm.get(key)
        browser = self._chromium()  # may restart (crash, every N sites): a new browser, new pages
        if warm is not None and warm.browser is browser:
            return warm
        javascript, init_script = key
        context = self._new_context(javascript, DESKTOP)
        if init_script is not None:
            context.add_init_script(init_script)
        page = context.new_page()
        router = _Router(None, None, self.settings.browser_page_max_bytes, None)  # type: ignore[arg-type]
        warm = _Warm(self._browser, context, page, router, context.new_cdp_session(page))
        page.on("crash", lambda _page: warm.crashed.append("page crashed"))
        context.route("**/*", warm.router.handle)
        context.route_web_socket("**/*", lambda ws: _refuse_websocket(warm.router.tab)(ws))
        self._warm[key] = warm
        return warm

    def _scrub(self, key: tuple[bool, str | None], warm: _Warm, tab: Tab) -> None:
        """Leave nothing of one site for the next; a page that cannot be scrubbed is dropped."""
        try:
            warm.page.goto("about:blank")
            warm.page.evaluate("() => { window.name = ''; }")  # the tab's name outlives its documents
            warm.context.clear_cookies()
            warm.context.clear_permissions()
            origins = {f"{u.scheme}://{u.netloc}" for u in (urlsplit(r.url) for r in tab.requests) if u.netloc}
            for origin in origins:
                warm.cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            warm.cdp.send("Network.clearBrowserCache")
        except PlaywrightError:
            self._warm.pop(key, None)
            with contextlib.suppress(PlaywrightError):
                warm.context.close()

    @contextmanager
    def page(self, site_url: str, *, javascript: bool = False, viewport: ViewportSize = DESKTOP) -> Iterator[Page]:
        """`open`, yielding just the loaded Playwright `Page`."""
        with self.open(site_url, javascript=javascript, viewport=viewport) as tab:
            yield tab.page

    def _goto(self, page: Page, url: str, router: _Router) -> None:
        timeout_ms = self.settings.browser_timeout_s * 1000
        try:
            try:
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
            except PlaywrightError:
                if router.moved_to is None:
                    raise
                response = page.goto(router.moved_to, wait_until="load", timeout=timeout_ms)
        except PlaywrightTimeout as exc:
            raise TransientError(f"{url}: page did not load within {self.settings.browser_timeout_s}s") from exc
        except PlaywrightError as exc:
            own = router.errors.get(url.split("#", 1)[0])
            if own is not None:
                raise own from exc
            raise
        if response is not None and response.status >= 400:
            own = router.errors.get(response.url.split("#", 1)[0])
            raise own or PermanentError(f"{url}: HTTP {response.status}")


@dataclass
class _Warm:
    """A long-lived page (`Browser.reused`) and what answers its requests."""

    browser: PWBrowser | None
    context: BrowserContext
    page: Page
    router: _Router
    cdp: CDPSession
    crashed: list[str] = field(default_factory=list)


def status_of(exc: PipelineError) -> int | None:
    """The HTTP status a fetch error reports (`PermanentError("…: HTTP 404")`), None for others."""
    found = _STATUS_IN_ERROR.search(str(exc))
    return int(found.group(1)) if found else None


def _refuse_websocket(tab: Tab) -> Any:
    def handle(ws: WebSocketRoute) -> None:
        # Not calling connect_to_server() means no connection is made; closing tells the page.
        tab.requests.append(Served(url=ws.url, resource_type="websocket", error="websockets refused", blocked=True))
        ws.close(code=1008, reason="websockets are refused")

    return handle


SCREENSHOT_MAX_PIXELS = 64_000_000  # Chromium stops at 16,384 px a side; a full page is far below this


def screenshot_webp(
    page: Page,
    *,
    full_page: bool = False,
    quality: int = 75,
    max_width: int | None = None,
    session: CDPSession | None = None,
) -> bytes:
    """A screenshot of the page as WebP bytes, optionally scaled down to `max_width` pixels.

    The viewport at full size is captured by DevTools (`_VIEWPORT_CAPTURE`, see `_viewport_webp`);
    `session` is the page's DevTools session if the caller keeps one (`Tab.session`), else one is
    opened for the shot. Full pages and scaled shots go through the one capped decoder."""
    if not full_page and not max_width:
        cdp = session or page.context.new_cdp_session(page)
        try:
            shot = cdp.send("Page.captureScreenshot", _VIEWPORT_CAPTURE)
        finally:
            if session is None:
                cdp.detach()
        return _viewport_webp(shot["data"], quality)
    png = page.screenshot(full_page=full_page, type="png", animations="disabled")
    return _webp(png, quality, method=4, max_width=max_width)


# Chromium encodes a near-lossless JPEG, and this process the WebP at libwebp's fastest method:
# Chromium's own WebP encoder cost more than both together. A gated page (two shots) went from
# 0.77 to 0.68 CPU-s, all processes counted, for WebP files about 30 % larger.
_VIEWPORT_CAPTURE = {"format": "jpeg", "quality": 95}


def _viewport_webp(data_b64: str, quality: int) -> bytes:
    return _webp(base64.b64decode(data_b64), quality, method=0)


def _webp(raw: bytes, quality: int, *, method: int, max_width: int | None = None) -> bytes:
    """A captured image as WebP, optionally scaled down to `max_width` pixels."""
    # through the one capped decoder: a hostile page can be made enormous (raises UnsafeAsset)
    img = raster.decode(raw, max_pixels=SCREENSHOT_MAX_PIXELS).convert("RGB")
    if max_width and img.width > max_width:
        img = img.resize((max_width, max(1, round(img.height * max_width / img.width))), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="WEBP", quality=quality, method=method)
    return out.getvalue()


def screenshot_later(tab: Tab, *, quality: int = 75) -> Callable[[], bytes]:
    """Ask Chromium for a screenshot of the viewport now and return the function that waits for it
    and gives it as WebP, so the capture (in the browser process) overlaps what the caller does next:
    axe-core in the renderer, or Python's own work. Playwright's sync API has no call that returns before its answer,
    so the request is a task on the driver's event loop (`_impl_obj`, `_loop`, `_sync`: Playwright
    1.65's sync internals); it is sent here, and the answer is collected on the next sync call or by
    the returned function. Without those internals the screenshot is taken at once."""
    session = tab.devtools()
    try:
        loop, impl, wait = session._loop, session._impl_obj, session._sync
    except AttributeError:  # another Playwright: no pending calls, take it now
        shot = screenshot_webp(tab.page, quality=quality, session=session)
        return lambda: shot
    task = loop.create_task(impl.send("Page.captureScreenshot", _VIEWPORT_CAPTURE, None))
    wait(asyncio.sleep(0))  # one turn of the driver's loop: the request leaves now

    def result() -> bytes:
        answer: dict[str, str] = wait(task)
        return _viewport_webp(answer["data"], quality)

    return result


_playwright: Playwright | None = None
_shared: Browser | None = None


def driver() -> Playwright:
    """Playwright's driver, one per process (its sync API allows a single instance per thread)."""
    global _playwright
    if _playwright is None:
        _playwright = sync_playwright().start()
        atexit.register(_stop_driver)
    return _playwright


def _stop_driver() -> None:
    global _playwright
    if _playwright is not None:
        driver, _playwright = _playwright, None
        with contextlib.suppress(PlaywrightError):  # the driver died with the process it served
            driver.stop()


def shared(settings: Settings) -> Browser:
    """This process's warm browser (a qa worker keeps it across jobs); stopped at exit. Later calls
    hand it the newest settings (read on every page); a different Chromium binary means a new one."""
    global _shared
    if _shared is not None and _shared.settings.chromium_path != settings.chromium_path:
        _shared.close()
        _shared = None
    if _shared is None:
        _shared = Browser(settings)
        atexit.register(_shared.close)
    _shared.settings = settings
    return _shared
