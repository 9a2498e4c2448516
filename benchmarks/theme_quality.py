"""Theme quality: every corpus site's demo site, audited in real Chromium and Lighthouse.

For each theme × corpus site: axe-core serious/critical violations, page weight (bytes the browser
fetched, and the whole bundle, which also holds the favicon; the budget applies to the larger),
whether the page reflows at 320 px without horizontal scrolling, and the build time.
Profiles come from the corpus labels (`../shared/corpus/sites.json`) and the site's own files
(logo, paragraphs of the entry page), read at run time; nothing of the corpus enters the repo.

    .venv/bin/python -m benchmarks.theme_quality            # all sites, all themes
    .venv/bin/python -m benchmarks.theme_quality --sites 4  # the first four sites

Only 127.0.0.1 is contacted: every other request the page might make is aborted and counted.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route

from benchmarks._profiles import CorpusSite, corpus_sites, scraped_sites
from benchmarks._site_audit import LogoCheck, Scores, lighthouse, logo_check
from benchmarks._site_audit import lighthouse_bin as lighthouse_binary
from pipeline.browser import driver
from pipeline.deploy.local import LocalWebRoot
from pipeline.models import SiteBundle
from pipeline.preview import make_server, server_url
from pipeline.render.site import build_site, page_weight
from pipeline.render.themes import THEME_NAMES

CHROMIUM = os.environ.get("PIPELINE_CHROMIUM_PATH", "/usr/bin/chromium")  # the setting's variable
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WEIGHT_BUDGET_BYTES = 250_000
LIGHTHOUSE_PERFORMANCE, LIGHTHOUSE_ACCESSIBILITY = 95, 100
BLOCKING_IMPACTS = ("serious", "critical")


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright (its own browsers cannot be downloaded here), on the
    process's one Playwright driver (`pipeline.browser.driver`: one per thread is all the sync API allows)."""
    browser = driver().chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@contextmanager
def preview(root: Path) -> Iterator[str]:
    """The preview server on a free loopback port; yields its base URL."""
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Audit:
    """What one page looked like in the browser."""

    violations: list[str]
    weight_bytes: int
    reflows_at_320: bool
    blocked_requests: list[str]
    logo: LogoCheck


def _loopback_only(blocked: list[str]) -> Any:
    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handle


def audit_page(browser: Browser, url: str) -> Audit:
    """axe-core serious/critical violations, fetched bytes and 320 px reflow of one page."""
    context = browser.new_context(viewport={"width": 320, "height": 720}, service_workers="block")
    blocked: list[str] = []
    try:
        page: Page = context.new_page()
        page.route("**/*", _loopback_only(blocked))
        page.goto(url, wait_until="load")
        weight = page.evaluate(
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((n, e) => n + (e.encodedBodySize || 0), 0)"
        )
        reflows = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.set_viewport_size({"width": 1280, "height": 900})
        results = Axe().run(page, options={"resultTypes": ["violations"]})
        violations = [
            f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes)"
            for v in results.response["violations"]
            if v.get("impact") in BLOCKING_IMPACTS
        ]
        src, width, height = page.evaluate(
            "() => { const i = document.querySelector('header img.logo'); if (!i) return [null, 0, 0];"
            " const r = i.getBoundingClientRect(), c = getComputedStyle(i), px = (k) => parseFloat(c[k]) || 0;"
            " const w = r.width - px('paddingLeft') - px('paddingRight')"
            " - px('borderLeftWidth') - px('borderRightWidth');"
            " const h = r.height - px('paddingTop') - px('paddingBottom')"
            " - px('borderTopWidth') - px('borderBottomWidth');"
            " return [i.getAttribute('src'), w, h]; }"
        )
        logo = logo_check(browser, url, src, (float(width), float(height)))
        return Audit(violations, int(weight), bool(reflows), blocked, logo)
    finally:
        context.close()


@dataclass
class Row:
    """One line of the table."""

    theme: str
    site: str
    build_ms: float
    audit: Audit
    bundle_bytes: int
    scores: Scores | None = None
    url: str = ""

    @property
    def failures(self) -> list[str]:
        """What this page misses of the bar: axe, weight, reflow, logo, Lighthouse."""
        out = [f"axe {v}" for v in self.audit.violations]
        if max(self.audit.weight_bytes, self.bundle_bytes) >= WEIGHT_BUDGET_BYTES:
            out.append("over the weight budget")
        if not self.audit.reflows_at_320:
            out.append("overflows at 320 px")
        if self.audit.logo.clipped:
            out.append(f"logo clipped: {self.audit.logo.detail}")
        if self.scores is not None:
            if (self.scores.performance or 0) < LIGHTHOUSE_PERFORMANCE:
                out.append(f"Lighthouse performance {self.scores.performance} ({self.scores.detail})")
            if (self.scores.accessibility or 0) < LIGHTHOUSE_ACCESSIBILITY:
                out.append(f"Lighthouse accessibility {self.scores.accessibility} ({self.scores.detail})")
        return out


def run(
    sites: list[CorpusSite],
    themes: tuple[str, ...] | None = THEME_NAMES,
    browser: Browser | None = None,
    *,
    rotate: bool = False,
    lighthouse_bin: Path | None = None,
) -> list[Row]:
    """Build, publish and audit every theme × site; returns one row each. `themes=None`: each
    site once, in the layout the pipeline picks for it. With `rotate`, each site once, in the
    layouts taken in turn (every layout still covered: the quick variant the tests use). With a
    Lighthouse binary, every page is scored too. Pass a running browser to share it (Playwright's
    sync API allows one per thread), else one is started."""
    if browser is None:
        with chromium() as own:
            return run(sites, themes, own, rotate=rotate, lighthouse_bin=lighthouse_bin)
    pairs: list[tuple[str | None, CorpusSite]]
    if themes is None:
        pairs = [(None, site) for site in sites]
    elif rotate:
        pairs = [(themes[i % len(themes)], site) for i, site in enumerate(sites)]
    else:
        pairs = [(theme, site) for theme in themes for site in sites]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, preview(Path(tmp)) as base:
        target = LocalWebRoot(Path(tmp), base)
        for theme, site in pairs:
            started = time.perf_counter()
            bundle: SiteBundle = build_site(site.lead, site.key, site.profile, theme=theme)
            build_ms = (time.perf_counter() - started) * 1000
            bundle = bundle.model_copy(update={"slug": f"{bundle.slug[:60]}-{theme or 'chosen'}"})
            result = target.publish(bundle)
            files = {p: base64.b64decode(v) for p, v in bundle.files.items()}
            audit = audit_page(browser, result.url)
            scores = lighthouse(result.url, lighthouse_bin) if lighthouse_bin else None
            rows.append(Row(bundle.theme, site.name, build_ms, audit, page_weight(files), scores, result.url))
    return rows


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    """The table and its totals."""
    header = (
        f"{'theme':<8} {'site':<26} {'axe s/c':>7} {'weight B':>9} {'page B':>9} {'320px':>5} {'logo':>5} "
        f"{'LH perf':>7} {'LH a11y':>7} {'build ms':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        print(
            f"{r.theme:<8} {r.site:<26} {len(r.audit.violations):>7} {r.audit.weight_bytes:>9} "
            f"{r.bundle_bytes:>9} {'ok' if r.audit.reflows_at_320 else 'WIDE':>5} "
            f"{'CLIP' if r.audit.logo.clipped else 'ok':>5} {_score(r, 'performance'):>7} "
            f"{_score(r, 'accessibility'):>7} {r.build_ms:>8.0f}",
            file=out,
        )
        for v in r.audit.violations:
            print(f"{'':<8} {'':<26}   axe: {v}", file=out)
        for b in r.audit.blocked_requests:
            print(f"{'':<8} {'':<26}   blocked request: {b}", file=out)
        for f in r.failures:
            print(f"{'':<8} {'':<26}   FAIL {f}", file=out)
    print("-" * len(header), file=out)
    violations = sum(len(r.audit.violations) for r in rows)
    over = sum(1 for r in rows if max(r.audit.weight_bytes, r.bundle_bytes) >= WEIGHT_BUDGET_BYTES)
    wide = sum(1 for r in rows if not r.audit.reflows_at_320)
    blocked = sum(len(r.audit.blocked_requests) for r in rows)
    heaviest = max((max(r.audit.weight_bytes, r.bundle_bytes) for r in rows), default=0)
    mean = sum(max(r.audit.weight_bytes, r.bundle_bytes) for r in rows) / max(1, len(rows))
    print(
        f"TOTAL pages={len(rows)} themes={len({r.theme for r in rows})} sites={len({r.site for r in rows})} "
        f"axe_serious_critical={violations} over_budget={over} (budget {WEIGHT_BUDGET_BYTES} B) "
        f"heaviest={heaviest} B mean={mean:.0f} B not_reflowing_320px={wide} blocked_requests={blocked} "
        f"logos_clipped={sum(1 for r in rows if r.audit.logo.clipped)} "
        f"lighthouse_min_perf={_minimum(rows, 'performance')} lighthouse_min_a11y={_minimum(rows, 'accessibility')} "
        f"pages_failing={sum(1 for r in rows if r.failures)}",
        file=out,
    )


def _score(row: Row, name: str) -> str:
    value = getattr(row.scores, name) if row.scores is not None else None
    return "-" if value is None else str(value)


def _minimum(rows: list[Row], name: str) -> str:
    values = [getattr(r.scores, name) for r in rows if r.scores is not None]
    return "-" if not values else str(min((v if v is not None else 0) for v in values))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when any page misses the bar."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=0, help="only the first N corpus sites (0 = all)")
    parser.add_argument(
        "--profiles", choices=("scraped", "labels"), default="scraped", help="the real scrape, or the corpus labels"
    )
    parser.add_argument("--layouts", choices=("chosen", "all"), default="chosen", help="the pipeline's pick, or all")
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse scores")
    parser.add_argument("--only", default="", help="comma-separated site names (default: every site)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    sites = scraped_sites(names=only) if args.profiles == "scraped" else corpus_sites()
    sites = [s for s in sites if not only or s.name in only]
    sites = sites[: args.sites] if args.sites else sites
    binary = None if args.no_lighthouse else lighthouse_binary()
    rows = run(sites, None if args.layouts == "chosen" else THEME_NAMES, lighthouse_bin=binary)
    print_table(rows)
    return 1 if any(r.failures for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
