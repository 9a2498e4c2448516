"""The long-lived page of `Browser.reused`: how it is set up, and the scrub that leaves nothing of one
site for the next (tests/test_browser.py checks each of these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import BrowserContext, CDPSession, Page

from pipeline.browser.routing import Router, Tab, refuse_websocket


@dataclass
class Warm:
    """A long-lived page (`Browser.reused`) and what answers its requests."""

    browser: PWBrowser | None
    context: BrowserContext
    page: Page
    router: Router
    cdp: CDPSession
    crashed: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls, browser: PWBrowser | None, context: BrowserContext, init_script: str | None, budget_bytes: int
    ) -> Warm:
        """A new page in `context` whose requests go through a `Router` (reset for each site)."""
        if init_script is not None:
            context.add_init_script(init_script)
        page = context.new_page()
        router = Router(None, None, budget_bytes, None)  # type: ignore[arg-type]
        warm = cls(browser, context, page, router, context.new_cdp_session(page))
        page.on("crash", lambda _page: warm.crashed.append("page crashed"))
        context.route("**/*", warm.router.handle)
        context.route_web_socket("**/*", lambda ws: refuse_websocket(warm.router.tab)(ws))
        return warm

    def scrub(self, tab: Tab) -> None:
        """Leave nothing of `tab`'s site: its document, the tab's name, cookies, permissions, the storage
        of every origin it touched and the HTTP cache. Raises Playwright's `Error` when it cannot."""
        self.page.goto("about:blank")
        self.page.evaluate("() => { window.name = ''; }")  # the tab's name outlives its documents
        self.context.clear_cookies()
        self.context.clear_permissions()
        origins = {f"{u.scheme}://{u.netloc}" for u in (urlsplit(r.url) for r in tab.requests) if u.netloc}
        for origin in origins:
            self.cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        self.cdp.send("Network.clearBrowserCache")
