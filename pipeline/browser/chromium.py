"""The `Browser`: one Chromium's life cycle (lazy start, restart after a crash or every
`browser_restart_after_sites` sites) and the pages it opens, a fresh context per site (`open`) or one
long-lived, scrubbed page (`reused`); `shared(settings)` is the process's warm one."""

from __future__ import annotations

import atexit
import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import BrowserContext, Page, ViewportSize
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipeline import netguard
from pipeline.browser.launch import launch
from pipeline.browser.routing import Allow, Router, Tab, Vet, refuse_websocket
from pipeline.browser.warm import Warm
from pipeline.errors import PermanentError, TransientError
from pipeline.scrape.fetch import Fetcher, Response
from pipeline.settings import Settings

log = logging.getLogger("pipeline.browser")

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
MOBILE: ViewportSize = {"width": 375, "height": 740}


class Browser:
    """A lazily started, restartable Chromium whose pages reach the network only through the guard.

    `resolver` goes to the fetcher (tests point names at loopback servers)."""

    def __init__(self, settings: Settings, *, resolver: netguard.Resolver = netguard.system_resolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self.launches = 0
        self._browser: PWBrowser | None = None
        self._sites = 0
        self._warm: dict[tuple[bool, str | None], Warm] = {}

    # --- life cycle ------------------------------------------------------------------------------
    def _chromium(self) -> PWBrowser:
        """The running browser, (re)started when absent, disconnected or due for a restart."""
        due = self._sites >= self.settings.browser_restart_after_sites
        if self._browser is not None and (due or not self._browser.is_connected()):
            self._drop_browser()
        if self._browser is None:
            self._browser = launch(self.settings)
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
                router = Router(fetcher, tab, self.settings.browser_page_max_bytes, files)
                router.allow, router.vet, router.prefetched = allow, vet, dict(prefetched or {})
                context.route("**/*", router.handle)
                context.route_web_socket("**/*", refuse_websocket(tab))
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

    def _warm_page(self, key: tuple[bool, str | None]) -> Warm:
        warm = self._warm.get(key)
        browser = self._chromium()  # may restart (crash, every N sites): a new browser, new pages
        if warm is not None and warm.browser is browser:
            return warm
        javascript, init_script = key
        context = self._new_context(javascript, DESKTOP)
        warm = Warm.start(self._browser, context, init_script, self.settings.browser_page_max_bytes)
        self._warm[key] = warm
        return warm

    def _scrub(self, key: tuple[bool, str | None], warm: Warm, tab: Tab) -> None:
        """Leave nothing of one site for the next; a page that cannot be scrubbed is dropped."""
        try:
            warm.scrub(tab)
        except PlaywrightError:
            self._warm.pop(key, None)
            with contextlib.suppress(PlaywrightError):
                warm.context.close()

    @contextmanager
    def page(self, site_url: str, *, javascript: bool = False, viewport: ViewportSize = DESKTOP) -> Iterator[Page]:
        """`open`, yielding just the loaded Playwright `Page`."""
        with self.open(site_url, javascript=javascript, viewport=viewport) as tab:
            yield tab.page

    def _goto(self, page: Page, url: str, router: Router) -> None:
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


_shared: Browser | None = None


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
