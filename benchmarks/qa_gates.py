"""QA gates vs Lighthouse + pa11y on the built corpus sites, in the same run.

Every labelled corpus site (`../shared/corpus`) is built with the theme the pipeline would choose
and published on a preview server on 127.0.0.1. Then, per site:

- ours: every gate (`pipeline.qa.runner.run_gates`: axe-core WCAG 2.0/2.1 A+AA, performance,
  content, links, layout at two widths, two WebP screenshots) in ONE warm Chromium, a fresh browser
  context per site (so no storage, cache, cookies or service worker carries over between sites;
  pages are not reused);
- theirs: the Lighthouse CLI (performance + accessibility) and the pa11y CLI (axe runner,
  WCAG2AA), one cold Chromium each per URL, installed from the npm registry into a scratch folder
  (`npm install --prefix DIR lighthouse pa11y`, Puppeteer's browser download skipped) and pointed
  at Debian's Chromium.

It prints seconds per site for each, the ratio (goal: ours ≥ 30× faster), and the serious/critical
accessibility violations each found, side by side. Only 127.0.0.1 is contacted by the pages.

Measured 2026-12-02 on this 2-core machine shared by ~8 sessions (load average 20-30), six corpus
sites: ours 3.87 s per site with a fresh context, 2.41 s on the reused page; Lighthouse 33.65 s +
pa11y 9.95 s = 43.60 s per site; 11.3x and 18.1x (goal 30x not reached under this load); both
sides found no serious/critical violation on any of the six generated pages.

    .venv/bin/python -m benchmarks.qa_gates                 # all corpus sites
    .venv/bin/python -m benchmarks.qa_gates --sites 4       # the first four
    .venv/bin/python -m benchmarks.qa_gates --npm-dir /tmp/x --skip-theirs
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.theme_quality import CHROMIUM, CorpusSite, corpus_sites, preview
from pipeline.browser import Browser
from pipeline.deploy.local import LocalWebRoot
from pipeline.qa.links import MemoryLinkCache
from pipeline.qa.runner import run_gates
from pipeline.render.site import build_site
from pipeline.settings import Settings
from pipeline.stages.qa import expected_for

SERIOUS = ("serious", "critical")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --no-first-run"


def _loopback(host: str, port: int) -> list[str]:
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1"]
    import socket

    raise socket.gaierror(socket.EAI_NONAME, f"benchmark resolver: {host} is not loopback")


@dataclass
class Row:
    """One site's figures."""

    site: str
    url: str
    ours_s: float = 0.0
    reused_s: float = 0.0
    ours_serious: list[str] = field(default_factory=list)
    ours_verdict: str = ""
    lighthouse_s: float = 0.0
    pa11y_s: float = 0.0
    theirs_serious: list[str] = field(default_factory=list)
    lighthouse_perf: float | None = None


def install_tools(npm_dir: Path) -> tuple[Path, Path]:
    """Lighthouse and pa11y from the npm registry into `npm_dir` (skipped when already there)."""
    bins = npm_dir / "node_modules" / ".bin"
    if not ((bins / "lighthouse").exists() and (bins / "pa11y").exists()):
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}
        subprocess.run(
            ["npm", "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund", "lighthouse", "pa11y"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    return bins / "lighthouse", bins / "pa11y"


def publish_all(sites: list[CorpusSite], target: LocalWebRoot) -> list[tuple[CorpusSite, str]]:
    """Build and publish every site; returns (site, URL)."""
    return [(s, target.publish(build_site(s.lead, s.key, s.profile)).url) for s in sites]


def ours(browser: Browser, settings: Settings, site: CorpusSite, url: str, row: Row) -> None:
    """Every gate on one site, timed: in a fresh context, then on the reused (scrubbed) page."""
    has_logo = site.profile.logo is not None
    expected = expected_for(site.lead, site.profile, has_logo)
    started = time.perf_counter()
    run_gates(browser, url, expected, settings, MemoryLinkCache(), reuse=True)
    row.reused_s = time.perf_counter() - started
    started = time.perf_counter()
    gated = run_gates(browser, url, expected, settings, MemoryLinkCache(), reuse=False)
    row.ours_s = time.perf_counter() - started
    row.ours_verdict = gated.report.verdict
    a11y = next(c for c in gated.report.checks if c.name == "accessibility")
    row.ours_serious = sorted(v["id"] for v in a11y.evidence.get("violations", []) if v["impact"] in SERIOUS)


def theirs(lighthouse: Path, pa11y: Path, url: str, row: Row, scratch: Path) -> None:
    """Lighthouse (performance + accessibility) and pa11y (axe runner, WCAG2AA) on one URL, timed."""
    env = {**os.environ, "CHROME_PATH": CHROMIUM, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    out = scratch / "lh.json"
    started = time.perf_counter()
    subprocess.run(
        [
            str(lighthouse),
            url,
            "--only-categories=performance,accessibility",
            "--preset=desktop",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    row.lighthouse_s = time.perf_counter() - started
    found: set[str] = set()
    if out.exists():
        report: dict[str, Any] = json.loads(out.read_text())
        perf = report.get("categories", {}).get("performance", {}).get("score")
        row.lighthouse_perf = None if perf is None else round(perf * 100)
        for ref in report.get("categories", {}).get("accessibility", {}).get("auditRefs", []):
            audit = report["audits"].get(ref["id"], {})
            if audit.get("score") == 0 and (audit.get("details") or {}).get("debugData", {}).get("impact") in SERIOUS:
                found.add(ref["id"])
    config = scratch / "pa11y.json"
    config.write_text(json.dumps({"chromeLaunchConfig": {"executablePath": CHROMIUM, "args": ["--no-sandbox"]}}))
    started = time.perf_counter()
    result = subprocess.run(
        [str(pa11y), "--runner", "axe", "--standard", "WCAG2AA", "--reporter", "json", "--config", str(config), url],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    row.pa11y_s = time.perf_counter() - started
    try:
        issues = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        issues = []
    for issue in issues:
        if (issue.get("runnerExtras") or {}).get("impact") in SERIOUS:
            found.add(str(issue.get("code", "?")))
    row.theirs_serious = sorted(found)


def print_table(rows: list[Row], skip_theirs: bool, out: Any = sys.stdout) -> None:
    """The per-site table, the means and the ratio."""
    header = (
        f"{'site':<28} {'ours s':>7} {'reused':>7} {'verdict':>8} {'LH s':>7} {'pa11y s':>8} {'LH perf':>7}"
        "  serious/critical (ours | LH+pa11y)"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        print(
            f"{r.site:<28} {r.ours_s:>7.2f} {r.reused_s:>7.2f} {r.ours_verdict:>8} "
            f"{r.lighthouse_s:>7.2f} {r.pa11y_s:>8.2f} "
            f"{'' if r.lighthouse_perf is None else r.lighthouse_perf:>7}  "
            f"{','.join(r.ours_serious) or '-'} | {','.join(r.theirs_serious) or '-'}",
            file=out,
        )
    print("-" * len(header), file=out)
    n = max(1, len(rows))
    ours_mean = sum(r.ours_s for r in rows) / n
    reused_mean = sum(r.reused_s for r in rows) / n
    theirs_mean = sum(r.lighthouse_s + r.pa11y_s for r in rows) / n
    print(f"ours: {ours_mean:.2f} s per site (one warm Chromium, a fresh context per site)", file=out)
    print(f"ours, reused page: {reused_mean:.2f} s per site (one long-lived page, scrubbed between sites)", file=out)
    if not skip_theirs:
        lh, pa = sum(r.lighthouse_s for r in rows) / n, sum(r.pa11y_s for r in rows) / n
        print(f"Lighthouse + pa11y: {theirs_mean:.2f} s per site (Lighthouse {lh:.2f} s + pa11y {pa:.2f} s)", file=out)
        print(
            f"ratio: {theirs_mean / max(ours_mean, 1e-9):.1f}x faster with a fresh context per site, "
            f"{theirs_mean / max(reused_mean, 1e-9):.1f}x on the reused page (goal >= 30x)",
            file=out,
        )
        same = sum(1 for r in rows if set(r.ours_serious) == set(r.theirs_serious))
        print(f"serious/critical findings agree on {same} of {len(rows)} sites", file=out)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=0, help="only the first N corpus sites (0 = all)")
    parser.add_argument("--npm-dir", type=Path, default=Path(tempfile.gettempdir()) / "qa-gates-npm")
    parser.add_argument("--skip-theirs", action="store_true", help="only time our gates")
    args = parser.parse_args(argv)
    sites = corpus_sites()
    sites = sites[: args.sites] if args.sites else sites
    settings = Settings(allow_loopback=True, qa_check_external_links=False, fetch_retries=0, chromium_path=CHROMIUM)
    tools = None if args.skip_theirs else install_tools(args.npm_dir)
    with tempfile.TemporaryDirectory() as tmp, preview(Path(tmp) / "sites") as base:
        published = publish_all(sites, LocalWebRoot(Path(tmp) / "sites", base))
        rows = [Row(s.name, url) for s, url in published]
        with Browser(settings, resolver=_loopback) as browser:
            with browser.page(published[0][1]), browser.reused(published[0][1], javascript=True):
                pass  # start the warm browser (and page) outside the timings, as a qa worker has them
            for (site, url), row in zip(published, rows, strict=True):
                ours(browser, settings, site, url, row)
        if tools is not None:
            scratch = Path(tmp) / "scratch"
            scratch.mkdir()
            for row in rows:
                theirs(tools[0], tools[1], row.url, row, scratch)
    print_table(rows, args.skip_theirs)
    shutil.rmtree(Path(tempfile.gettempdir()) / "lighthouse.tmp", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
