"""Contact sheet: every corpus site's original next to the demo site the pipeline builds from it,
desktop and mobile, on one HTML page a person can judge at a glance.

Each original is served from its folder on 127.0.0.1 and shot in Chromium with every other host
mapped to nothing (`--host-resolver-rules`), so the CDNs and real domains the pages name are never
contacted (a page missing its CDN stylesheet looks as a scraper sees it). The demo is what the
pipeline would deploy: the real scrape of the served site, the layout it picks, the preview server.

    .venv/bin/python -m benchmarks.contact_sheet                    # writes var/contact-sheet/index.html
    .venv/bin/python -m benchmarks.contact_sheet --out /tmp/sheet --sites 4
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser

from benchmarks._profiles import CORPUS_DIR, CorpusSite, scraped_sites
from benchmarks._site_audit import LOOPBACK_ONLY
from benchmarks.theme_quality import CHROMIUM, CHROMIUM_ARGS, preview
from pipeline.browser import driver
from pipeline.deploy.local import LocalWebRoot
from pipeline.render.site import build_site
from tests.support.servers import serve_directory

SIZES = {"desktop": (1280, 800), "mobile": (390, 844)}
MAX_HEIGHT = {"desktop": 2400, "mobile": 3200}  # px of a full-page shot kept: enough to judge


def _shoot(browser: Browser, url: str, out: Path, size: str) -> None:
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(url, wait_until="load", timeout=30_000)
        full = page.evaluate("() => document.documentElement.scrollHeight")
        for y in range(0, min(full, MAX_HEIGHT[size]), height):  # scroll through: lazy images load
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(50)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(100)
        page.screenshot(
            path=str(out),
            type="jpeg",
            quality=70,
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": min(full, MAX_HEIGHT[size])},
        )
    finally:
        page.close()


def _row(site: CorpusSite, layout: str, shots: dict[str, str]) -> str:
    cells = "".join(
        f'<td><a href="{html.escape(shots[key])}"><img src="{html.escape(shots[key])}" alt="{html.escape(key)}" '
        f'loading="lazy"></a></td>'
        for key in ("original-desktop", "demo-desktop", "original-mobile", "demo-mobile")
    )
    facts = (
        f"{len(site.profile.photos)} photos · {len(site.profile.hours)} hours rows · "
        f"{len(site.profile.testimonials)} testimonials · "
        f"{len(site.profile.service_items) or len(site.profile.services)} services"
    )
    return (
        f"<tr><th scope='row'>{html.escape(site.name)}<br><small>layout {html.escape(layout)}<br>"
        f"{html.escape(facts)}</small></th>{cells}</tr>"
    )


def write_sheet(sites: list[CorpusSite], out: Path) -> Path:
    """Shoot every site (original and demo, desktop and mobile) and write `out/index.html`."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    browser = driver().chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, LOOPBACK_ONLY])
    try:
        with tempfile.TemporaryDirectory() as tmp, preview(Path(tmp)) as base:
            target = LocalWebRoot(Path(tmp), base)
            for site in sites:
                bundle = build_site(site.lead, site.key, site.profile)
                demo_url = target.publish(bundle).url
                shots: dict[str, str] = {}
                with serve_directory(CORPUS_DIR / "sites" / site.name) as original_url:
                    for kind, url in (("original", original_url), ("demo", demo_url)):
                        for size in SIZES:
                            name = f"{site.name}-{kind}-{size}.jpg"
                            _shoot(browser, url, out / name, size)
                            shots[f"{kind}-{size}"] = name
                rows.append(_row(site, bundle.theme, shots))
                print(f"{site.name}: layout {bundle.theme}", file=sys.stderr)
    finally:
        browser.close()
    page = out / "index.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Contact sheet: originals and demos</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse}"
        "td,th{vertical-align:top;padding:.5rem;border-bottom:1px solid #ccc;text-align:left}"
        "td img{width:300px;height:auto;display:block}td:nth-child(4) img,td:nth-child(5) img{width:140px}</style>"
        "</head><body><h1>Originals and the demo sites built from them</h1>"
        "<table><thead><tr><th>site</th><th>original, desktop</th><th>demo, desktop</th>"
        "<th>original, mobile</th><th>demo, mobile</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>",
        encoding="utf-8",
    )
    return page


def main(argv: list[str] | None = None) -> int:
    """Write the contact sheet and print its path."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("var/contact-sheet"), help="output folder")
    parser.add_argument("--sites", type=int, default=0, help="only the first N corpus sites (0 = all)")
    args = parser.parse_args(argv)
    sites = scraped_sites()
    page = write_sheet(sites[: args.sites] if args.sites else sites, args.out)
    print(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
