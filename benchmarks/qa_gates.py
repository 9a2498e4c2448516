"""QA gates vs Lighthouse + pa11y on the built corpus sites, and on deliberately flawed pages, in the
same run.

Every labelled corpus site (`../shared/corpus`) is built with the theme the pipeline would choose
and published on a preview server on 127.0.0.1; so are a few copies of the first site with one
accessibility flaw each (`FLAWS`: low contrast, images without alt text, a form without labels,
unnamed controls, no page language), so that "the same serious and critical violations" is shown
on pages that have some, not only as nothing = nothing. Then, per page:

- gates: every gate (`pipeline.qa.runner.run_gates`: axe-core WCAG 2.0/2.1 A+AA, performance,
  content, links, layout at two widths, two WebP screenshots) in ONE warm Chromium, as a qa worker
  runs them by default: on the long-lived page, scrubbed between sites (`Browser.reused`); the
  `fresh` column is the same with a new browser context per site (`PIPELINE_QA_REUSE_PAGE=false`);
- theirs: the Lighthouse CLI (performance + accessibility) and the pa11y CLI (axe runner,
  WCAG2AA), one cold Chromium each per URL, installed from the npm registry into a scratch folder
  (`npm install --prefix DIR lighthouse pa11y`, Puppeteer's browser download skipped) and pointed
  at Debian's Chromium.

It prints seconds per page for each, the ratio on the corpus sites (goal: gates ≥ 30× faster than
Lighthouse + pa11y together), and each tool's serious/critical axe rules with their element counts,
side by side. Only 127.0.0.1 is contacted by the pages.

Measured 2026-12-07 18:11-18:14 UTC on this 2-core machine under the exclusive lock (load average
1.5 at the start, 2.1 at the end), `--sites 6` with the five flawed pages: corpus sites: gates
0.448 s per page on the reused page (1.026 s with a fresh context), Lighthouse 11.86 s + pa11y
2.16 s = 14.02 s: 31.3x (13.7x with fresh contexts); flawed pages: gates 0.506 s, theirs 13.90 s:
27.5x; all three found the same serious/critical rules with the same element counts on all 11
pages (color-contrast 25, image-alt 5, label 1 + select-name 1, button-name 1 + link-name 1,
html-has-lang 1, nothing on the six corpus sites).

    .venv/bin/python -m benchmarks.qa_gates                 # all corpus sites and the flawed pages
    .venv/bin/python -m benchmarks.qa_gates --sites 6       # the first six corpus sites
    .venv/bin/python -m benchmarks.qa_gates --npm-dir /tmp/x --skip-theirs --no-flawed
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.theme_quality import CHROMIUM, CorpusSite, corpus_sites
from pipeline.browser import Browser
from pipeline.deploy.local import LocalWebRoot
from pipeline.models import SiteBundle
from pipeline.qa.content import Expected
from pipeline.qa.links import MemoryLinkCache
from pipeline.qa.runner import run_gates
from pipeline.render.site import build_site
from pipeline.settings import Settings
from pipeline.stages.qa import expected_for

SERIOUS = ("serious", "critical")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --no-first-run"
Found = dict[str, int]  # serious/critical axe rule → elements


@dataclass(frozen=True)
class Flaw:
    """One deliberate accessibility flaw: CSS and markup added, or a pattern taken out of the page."""

    name: str
    rules: tuple[str, ...]  # the serious/critical axe rules it must raise
    css: str = ""
    body: str = ""
    drop: str = ""  # a regular expression removed from the page


FLAWS = (
    Flaw("low-contrast", ("color-contrast",), css="body,body p,body li,body a{color:#c8c8c8 !important}"),
    Flaw("images-without-alt", ("image-alt",), drop=r' alt="[^"]*"'),
    Flaw(
        "form-without-labels",
        ("label", "select-name"),
        body='<form><input type="text" name="q"><select name="s"><option>a</option></select></form>',
    ),
    Flaw(
        "unnamed-controls",
        ("button-name", "link-name"),
        body='<p><button type="button"></button><a href="#top"></a></p>',
    ),
    Flaw("no-page-language", ("html-has-lang",), drop=r'(?<=<html) lang="[^"]*"'),
)


@dataclass
class Row:
    """One page's figures."""

    page: str
    url: str
    expected: Expected
    flaw: Flaw | None = None
    gates_s: float = 0.0
    fresh_s: float = 0.0
    verdict: str = ""
    gates: Found = field(default_factory=dict)
    lighthouse_s: float = 0.0
    pa11y_s: float = 0.0
    lighthouse: Found = field(default_factory=dict)
    pa11y: Found = field(default_factory=dict)
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


def flawed(bundle: SiteBundle, flaw: Flaw) -> SiteBundle:
    """The bundle with `flaw` put into its page (its CSP dropped: it pins the page's own CSS)."""
    html = base64.b64decode(bundle.files["index.html"]).decode()
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    html = html.replace("</style>", flaw.css + "</style>", 1)
    html = re.sub(r"(<main[^>]*>)", lambda m: m.group(1) + flaw.body, html, count=1)
    html = re.sub(flaw.drop, "", html) if flaw.drop else html
    files = {**bundle.files, "index.html": base64.b64encode(html.encode()).decode()}
    return bundle.model_copy(update={"slug": f"{bundle.slug}-{flaw.name}", "files": files})


def publish_all(sites: list[CorpusSite], target: LocalWebRoot, with_flaws: bool) -> list[Row]:
    """Build and publish every site (and the flawed copies of the first); one row per page."""
    rows = []
    for site in sites:
        bundle = build_site(site.lead, site.key, site.profile)
        expected = expected_for(site.lead, site.profile, site.profile.logo is not None)
        rows.append(Row(site.name, target.publish(bundle).url, expected))
        for flaw in FLAWS if with_flaws and site is sites[0] else ():
            rows.append(Row(f"{site.name[:12]}…{flaw.name}", target.publish(flawed(bundle, flaw)).url, expected, flaw))
    return rows


def gates(browser: Browser, settings: Settings, rows: list[Row], reuse: bool) -> None:
    """Every gate on every page, each timed, in one mode: on the reused page (the default) or in a
    fresh context per page; the first page once more beforehand, untimed (a qa worker is warm)."""
    run_gates(browser, rows[0].url, rows[0].expected, settings, MemoryLinkCache(), reuse=reuse)
    for row in rows:
        started = time.perf_counter()
        gated = run_gates(browser, row.url, row.expected, settings, MemoryLinkCache(), reuse=reuse)
        elapsed = time.perf_counter() - started
        if not reuse:
            row.fresh_s = elapsed
            continue
        row.gates_s = elapsed
        row.verdict = gated.report.verdict
        a11y = next(c for c in gated.report.checks if c.name == "accessibility")
        row.gates = {v["id"]: v["nodes"] for v in a11y.evidence.get("violations", []) if v["impact"] in SERIOUS}


@contextmanager
def served(root: Path) -> Iterator[str]:
    """The preview server on a free loopback port, in a process of its own (a web server, not a part
    of the qa worker or of the benchmark); yields its base URL."""
    code = (
        "import sys; from pipeline.preview import make_server, server_url; "
        "s = make_server(sys.argv[1]); print(server_url(s), flush=True); s.serve_forever()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


def lighthouse(binary: Path, row: Row, scratch: Path) -> None:
    """Lighthouse (performance + accessibility, desktop) on one URL, timed."""
    out = scratch / "lh.json"
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            str(binary),
            row.url,
            "--only-categories=performance,accessibility",
            "--preset=desktop",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=300,
    )
    row.lighthouse_s = time.perf_counter() - started
    if not out.exists():
        return
    report: dict[str, Any] = json.loads(out.read_text())
    perf = report.get("categories", {}).get("performance", {}).get("score")
    row.lighthouse_perf = None if perf is None else round(perf * 100)
    for ref in report.get("categories", {}).get("accessibility", {}).get("auditRefs", []):
        audit = report["audits"].get(ref["id"], {})
        details = audit.get("details") or {}
        if audit.get("score") == 0 and details.get("debugData", {}).get("impact") in SERIOUS:
            row.lighthouse[ref["id"]] = len(details.get("items", []))


def pa11y(binary: Path, row: Row, scratch: Path) -> None:
    """pa11y (axe runner, WCAG2AA) on one URL, timed."""
    config = scratch / "pa11y.json"
    config.write_text(json.dumps({"chromeLaunchConfig": {"executablePath": CHROMIUM, "args": ["--no-sandbox"]}}))
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(binary),
            "--runner",
            "axe",
            "--standard",
            "WCAG2AA",
            "--reporter",
            "json",
            "--config",
            str(config),
            row.url,
        ],
        env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
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
            code = str(issue.get("code", "?"))
            row.pa11y[code] = row.pa11y.get(code, 0) + 1


def _found(found: Found) -> str:
    return ",".join(f"{rule}:{n}" for rule, n in sorted(found.items())) or "-"


def print_table(rows: list[Row], skip_theirs: bool, out: Any = sys.stdout) -> None:
    """The per-page table, the means, the ratio and the agreement of the findings."""
    header = (
        f"{'page':<32} {'gates s':>7} {'fresh':>6} {'verdict':>7} {'LH s':>6} {'pa11y s':>7} {'LH perf':>7}"
        "  serious/critical rule:elements (gates | pa11y | Lighthouse)"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        print(
            f"{r.page:<32} {r.gates_s:>7.2f} {r.fresh_s:>6.2f} {r.verdict:>7} {r.lighthouse_s:>6.2f} {r.pa11y_s:>7.2f} "
            f"{'' if r.lighthouse_perf is None else r.lighthouse_perf:>7}  "
            f"{_found(r.gates)} | {_found(r.pa11y)} | {_found(r.lighthouse)}",
            file=out,
        )
    print("-" * len(header), file=out)
    for label, group in (
        ("corpus sites", [r for r in rows if r.flaw is None]),
        ("flawed pages", [r for r in rows if r.flaw]),
    ):
        if not group:
            continue
        n = len(group)
        ours, fresh = sum(r.gates_s for r in group) / n, sum(r.fresh_s for r in group) / n
        print(
            f"{label} ({n}): gates {ours:.3f} s per page on the reused page, {fresh:.3f} s with a fresh context",
            file=out,
        )
        if skip_theirs:
            continue
        lh, pa = sum(r.lighthouse_s for r in group) / n, sum(r.pa11y_s for r in group) / n
        print(
            f"  Lighthouse + pa11y {lh + pa:.2f} s per page (Lighthouse {lh:.2f} s + pa11y {pa:.2f} s); ratio "
            f"{(lh + pa) / max(ours, 1e-9):.1f}x on the reused page, {(lh + pa) / max(fresh, 1e-9):.1f}x with a fresh "
            "context (goal >= 30x)",
            file=out,
        )
    if skip_theirs:
        return
    same_pa = sum(1 for r in rows if set(r.gates) == set(r.pa11y))
    same_lh = sum(1 for r in rows if set(r.gates) == set(r.lighthouse))
    print(
        f"same serious/critical rules as pa11y on {same_pa} of {len(rows)} pages, as Lighthouse on {same_lh}", file=out
    )
    for r in rows:
        if r.flaw and not set(r.flaw.rules) <= set(r.gates):
            print(f"  {r.page}: the gates missed {sorted(set(r.flaw.rules) - set(r.gates))}", file=out)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=0, help="only the first N corpus sites (0 = all)")
    parser.add_argument("--npm-dir", type=Path, default=Path(tempfile.gettempdir()) / "qa-gates-npm")
    parser.add_argument("--skip-theirs", action="store_true", help="only time our gates")
    parser.add_argument("--no-flawed", action="store_true", help="only the corpus sites, no flawed pages")
    args = parser.parse_args(argv)
    sites = corpus_sites()
    sites = sites[: args.sites] if args.sites else sites
    settings = Settings(allow_loopback=True, qa_check_external_links=False, fetch_retries=0, chromium_path=CHROMIUM)
    tools = None if args.skip_theirs else install_tools(args.npm_dir)
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp) / "sites") as base:
        rows = publish_all(sites, LocalWebRoot(Path(tmp) / "sites", base), not args.no_flawed)
        with Browser(settings, resolver=_loopback) as browser:
            gates(browser, settings, rows, reuse=True)
            gates(browser, settings, rows, reuse=False)
        if tools is not None:
            scratch = Path(tmp) / "scratch"
            scratch.mkdir()
            for row in rows:
                lighthouse(tools[0], row, scratch)
                pa11y(tools[1], row, scratch)
    print_table(rows, args.skip_theirs)
    shutil.rmtree(Path(tempfile.gettempdir()) / "lighthouse.tmp", ignore_errors=True)
    return 0


def _loopback(host: str, port: int) -> list[str]:
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1"]
    import socket

    raise socket.gaierror(socket.EAI_NONAME, f"benchmark resolver: {host} is not loopback")


if __name__ == "__main__":
    raise SystemExit(main())
