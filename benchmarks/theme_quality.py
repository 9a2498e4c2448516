"""Theme quality: every theme built from every corpus site's profile, audited in real Chromium.

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
import json
import mimetypes
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
from urllib.parse import unquote, urlsplit

from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page, Route

from pipeline.browser import driver
from pipeline.deploy.local import LocalWebRoot
from pipeline.errors import PipelineError
from pipeline.media import raster
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette, Photo, SiteBundle
from pipeline.preview import make_server, server_url
from pipeline.render.site import build_site, page_weight
from pipeline.render.themes import THEME_NAMES
from pipeline.scrape.page import Page as ScrapedPage
from pipeline.scrape.page import Site
from pipeline.scrape.photos import candidates as photo_candidates
from pipeline.scrape.photos import is_photo

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("BENCH_CORPUS_DIR", REPO.parent / "shared" / "corpus"))
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
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class CorpusSite:
    """One corpus site as a lead and the brand profile a scraper should have found."""

    name: str
    lead: LeadInput
    key: str
    profile: BrandProfile


def _logo(site_dir: Path, paths: list[str] | None) -> LogoAsset | None:
    for rel in paths or []:
        path = site_dir / rel
        if path.is_file():
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            data = base64.b64encode(path.read_bytes()).decode()
            return LogoAsset(media_type=media_type, data_b64=data, source="corpus-label", url=rel)
    return None


def _page_text(site_dir: Path, entry: str) -> tuple[list[str], list[str]]:
    """Paragraphs (≥ 60 characters) and short h3 headings of the entry page, as stand-ins for the
    scraper's `paragraphs` and `services`."""
    soup = BeautifulSoup((site_dir / entry).read_bytes(), "lxml")
    paragraphs = [" ".join(p.get_text(" ").split()) for p in soup.find_all("p")]
    services = [" ".join(h.get_text(" ").split()) for h in soup.find_all("h3")]
    return [p for p in paragraphs if len(p) >= 60][:3], [s for s in services if 2 < len(s) <= 60][:6]


def _photos(site_dir: Path, entry: str, logo_paths: list[str] | None) -> list[Photo]:
    """The entry page's photos as the scrape would keep them (same candidates, same decoder and
    filters), read from the site folder instead of over HTTP."""
    page = ScrapedPage.parse(f"http://127.0.0.1/{entry}", (site_dir / entry).read_bytes())
    site = Site(origin="http://127.0.0.1/", pages=[page])
    found: list[Photo] = []
    for candidate in photo_candidates(site, set()):
        rel = unquote(urlsplit(candidate.url).path).lstrip("/")
        path = site_dir / rel
        if rel in (logo_paths or []) or not path.is_file() or len(found) == 4:
            continue
        try:
            data, width, height = raster.photo_webp(
                path.read_bytes(), max_pixels=16_000_000, max_side_px=1280, quality=78
            )
        except PipelineError:
            continue
        if is_photo(data, width, height):
            b64 = base64.b64encode(data).decode()
            found.append(Photo(data_b64=b64, alt=candidate.alt, url=rel, width=width, height=height))
    return found


def corpus_sites(corpus: Path = CORPUS_DIR) -> list[CorpusSite]:
    """Every labelled corpus site as (lead, key, profile), in name order."""
    labels: dict[str, dict[str, Any]] = json.loads((corpus / "sites.json").read_text())
    sites = []
    for name in sorted(labels):
        label, site_dir = labels[name], corpus / "sites" / name
        website = f"https://{name}.example.com/"
        lead = LeadInput(company=label["name"], website=website, email=label["email"] or f"info@{name}.example.com")
        paragraphs, services = _page_text(site_dir, label.get("entry") or "index.html")
        profile = BrandProfile(
            name=label["name"],
            website=website,
            tagline=label.get("tagline"),
            logo=_logo(site_dir, label.get("logo")),
            palette=Palette(primary=label["colors"]["primary"], secondary=label["colors"].get("secondary")),
            phone=label.get("phone"),
            email=label.get("email"),
            address=label.get("address"),
            social=label.get("social") or [],
            language=label.get("language"),
            paragraphs=paragraphs,
            services=services,
            photos=_photos(site_dir, label.get("entry") or "index.html", label.get("logo")),
        )
        sites.append(CorpusSite(name, lead, lead.key, profile))
    return sites


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
        return Audit(violations, int(weight), bool(reflows), blocked)
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


def run(
    sites: list[CorpusSite],
    themes: tuple[str, ...] = THEME_NAMES,
    browser: Browser | None = None,
    *,
    rotate: bool = False,
) -> list[Row]:
    """Build, publish and audit every theme × site; returns one row each. With `rotate`, each
    site once, in the layouts taken in turn (every layout still covered: the quick variant the
    tests use). Pass a running browser to share it (Playwright's sync API allows one per
    thread), else one is started."""
    if browser is None:
        with chromium() as own:
            return run(sites, themes, own, rotate=rotate)
    pairs = (
        [(themes[i % len(themes)], site) for i, site in enumerate(sites)]
        if rotate
        else [(theme, site) for theme in themes for site in sites]
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, preview(Path(tmp)) as base:
        target = LocalWebRoot(Path(tmp), base)
        for theme, site in pairs:
            started = time.perf_counter()
            bundle: SiteBundle = build_site(site.lead, site.key, site.profile, theme=theme)
            build_ms = (time.perf_counter() - started) * 1000
            bundle = bundle.model_copy(update={"slug": f"{bundle.slug[:60]}-{theme}"})
            result = target.publish(bundle)
            files = {p: base64.b64decode(v) for p, v in bundle.files.items()}
            rows.append(Row(bundle.theme, site.name, build_ms, audit_page(browser, result.url), page_weight(files)))
    return rows


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    """The table and its totals."""
    header = f"{'theme':<8} {'site':<26} {'axe s/c':>7} {'weight B':>9} {'bundle B':>9} {'320px':>5} {'build ms':>8}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        print(
            f"{r.theme:<8} {r.site:<26} {len(r.audit.violations):>7} {r.audit.weight_bytes:>9} "
            f"{r.bundle_bytes:>9} {'ok' if r.audit.reflows_at_320 else 'WIDE':>5} {r.build_ms:>8.0f}",
            file=out,
        )
        for v in r.audit.violations:
            print(f"{'':<8} {'':<26}   axe: {v}", file=out)
        for b in r.audit.blocked_requests:
            print(f"{'':<8} {'':<26}   blocked request: {b}", file=out)
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
        f"heaviest={heaviest} B mean={mean:.0f} B not_reflowing_320px={wide} blocked_requests={blocked}",
        file=out,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when any page fails axe, the budget or reflow."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=0, help="only the first N corpus sites (0 = all)")
    args = parser.parse_args(argv)
    sites = corpus_sites()
    rows = run(sites[: args.sites] if args.sites else sites)
    print_table(rows)
    failed = any(
        r.audit.violations
        or max(r.audit.weight_bytes, r.bundle_bytes) >= WEIGHT_BUDGET_BYTES
        or not r.audit.reflows_at_320
        for r in rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
