"""Scrape time and memory with the renderer: `python benchmarks/scrape_perf.py [--sites 500] [--static 100]`.

Serves every corpus site on loopback, then scrapes them in a loop, one after another on one thread
through one warm guarded browser, as a scrape worker does: per-site wall time (p50, p95, max) and the
worker's RSS (this process; Chromium's processes separately) every 50 sites. The static parser
alone (`PIPELINE_SCRAPE_RENDER=off`) is timed in the same run as the baseline, and the ratio printed.
Goals: p95 ≤ 5 s per site with the warm browser, worker RSS ≤ 400 MB after 500 sites.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._corpus import CorpusSite, bench_browser, bench_settings, corpus_sites, lead_for
from pipeline.browser import Browser
from pipeline.scrape.fetch import Fetcher
from pipeline.settings import Settings
from pipeline.stages.scrape import scrape
from tests.support.resolver import loopback_only
from tests.support.servers import serve_directory

P95_GOAL_S = 5.0
RSS_GOAL_MB = 400.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Playwright's driver and Chromium's processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, stack = [], [pid]
    while stack:
        for kid in children.get(stack.pop(), []):
            out.append(kid)
            stack.append(kid)
    return out


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def loop(
    sites: list[tuple[CorpusSite, str]], count: int, settings: Settings, browser: Browser | None, report: bool
) -> list[float]:
    """Scrape `count` sites round-robin; seconds per site."""
    times: list[float] = []
    for i in range(count):
        site, url = sites[i % len(sites)]
        started = time.perf_counter()
        with Fetcher(settings, resolver=loopback_only) as fetcher:
            scrape(lead_for(site.name, url), settings, fetcher, final_attempt=True, browser=browser)
        times.append(time.perf_counter() - started)
        if report and (i + 1) % 50 == 0:
            gc.collect()
            chromium = sum(rss_mb(p) for p in descendants(os.getpid()))
            print(
                f"  after {i + 1:>4} sites: worker RSS {rss_mb():6.1f} MB, browser processes {chromium:6.1f} MB,"
                f" p95 so far {percentile(times, 0.95):.2f}s",
                flush=True,
            )
    return times


def summary(label: str, times: list[float]) -> None:
    """One line of figures."""
    print(
        f"{label:<26} n={len(times):<4} p50 {statistics.median(times):5.2f}s  p95 {percentile(times, 0.95):5.2f}s"
        f"  max {max(times):5.2f}s"
    )


def main(argv: list[str]) -> int:
    """Run the benchmark; returns the exit code (1 when a goal is missed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=500, help="site scrapes with the renderer (round-robin)")
    parser.add_argument("--static", type=int, default=100, help="site scrapes with the static parser (baseline)")
    args = parser.parse_args(argv)
    corpus = corpus_sites()
    with ExitStack() as stack:
        served = [(site, stack.enter_context(serve_directory(site.root))) for site in corpus]
        static_settings = bench_settings(scrape_render="off")
        static = loop(served, args.static, static_settings, None, report=False)
        rendered_settings = bench_settings(scrape_render="on")
        browser = bench_browser(rendered_settings)
        loop(served, 3, rendered_settings, browser, report=False)  # warm: Chromium started, caches filled
        print(f"{len(corpus)} corpus sites; worker RSS before the rendered loop {rss_mb():.1f} MB")
        rendered = loop(served, args.sites, rendered_settings, browser, report=True)
        browser.close()
        final_rss = rss_mb()
    print()
    summary("static parser (baseline)", static)
    summary("renderer, warm browser", rendered)
    ratio = percentile(rendered, 0.95) / max(percentile(static, 0.95), 1e-9)
    print(f"p95 ratio renderer/static: {ratio:.1f}x; worker RSS at the end {final_rss:.1f} MB")
    missed = []
    if percentile(rendered, 0.95) > P95_GOAL_S:
        missed.append(f"p95 over {P95_GOAL_S}s")
    if final_rss > RSS_GOAL_MB:
        missed.append(f"RSS over {RSS_GOAL_MB} MB")
    print("goals missed: " + ", ".join(missed) if missed else "all goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
