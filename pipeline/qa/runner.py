"""Run every gate on one site, on the browser's reused page (or a fresh context): desktop first
(screenshot, timing, accessibility, content, links, layout), then the same page resized to the
mobile width (layout, screenshot). Resizing instead of loading the page again halves the cost; media
queries and layout are re-evaluated on resize, so the mobile checks see the mobile layout.

Work overlaps where it safely can: the timing measurement starts first and its two frames pass
while axe-core (an init script, `accessibility.INIT_SCRIPT`) runs in the renderer and the browser
process encodes the desktop screenshot (`screenshot_later`); the mobile screenshot is encoded while
this process judges the content and links the page reported.
JavaScript is on for our own generated pages (never for a prospect's): the measurements and axe-core
run as scripts, and the built pages carry a Content-Security-Policy that allows no script of theirs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pipeline.browser import DESKTOP, MOBILE, Browser, screenshot_later
from pipeline.models import GateReport
from pipeline.qa import accessibility, content, layout, links, performance
from pipeline.qa.content import Expected
from pipeline.qa.links import LinkCache
from pipeline.scrape.fetch import Fetcher
from pipeline.settings import Settings

SCREENSHOT_WIDTH = {"desktop": 1280, "mobile": 375}


@dataclass
class Gated:
    """A site's gate report and its screenshots (view → WebP bytes)."""

    report: GateReport
    screenshots: dict[str, bytes] = field(default_factory=dict)


def run_gates(
    browser: Browser, url: str, expected: Expected, settings: Settings, cache: LinkCache, *, reuse: bool | None = None
) -> Gated:
    """Every gate on the site at `url`. Fetch errors of the page itself propagate as the fetcher
    raised them (a 4xx is permanent, a 5xx transient); a browser crash is transient. `reuse` (default
    `qa_reuse_page`) runs on the browser's long-lived page instead of a fresh context (`Browser.reused`)."""
    started = time.perf_counter()
    shots: dict[str, bytes] = {}
    opener = browser.reused if (settings.qa_reuse_page if reuse is None else reuse) else browser.open
    with (
        opener(url, javascript=True, viewport=DESKTOP, init_script=accessibility.INIT_SCRIPT) as tab,
        Fetcher(settings, resolver=browser.resolver) as fetcher,
    ):
        performance.start(tab.page)  # first, before anything runs in the page
        desktop = screenshot_later(tab)  # Chromium encodes it while axe-core runs in the page
        a11y = accessibility.gate(tab.page)
        shots["desktop"] = desktop()
        checks = [performance.gate(tab, settings), a11y]
        seen, found = content.inspect(tab), links.collect(tab)
        views = {"desktop": layout.inspect(tab.page, settings.qa_min_tap_target_px)}
        tab.page.set_viewport_size(MOBILE)
        views["mobile"] = layout.inspect(tab.page, settings.qa_min_tap_target_px)
        mobile = screenshot_later(tab)  # encoded while the content and link findings are judged here
        checks.append(content.gate(tab, expected, seen))
        fetch_external = settings.qa_check_external_links
        checks.append(links.gate(tab, fetcher, cache, fetch_external=fetch_external, found=found))
        checks.append(layout.gate(views))
        shots["mobile"] = mobile()
    report = GateReport(url=url, checks=checks, seconds=round(time.perf_counter() - started, 3))
    return Gated(report, shots)
