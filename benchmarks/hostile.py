"""Hostile input, measured: what a dripping site, an always-failing site and a huge CSV line cost.

    .venv/bin/python -m benchmarks.hostile [--deadline-s 2]

1. drip: a loopback server sends its status line one byte every 0.5 s. The guarded fetcher (whole-
   exchange watchdog) against plain `requests` with the same connect/read timeouts (the old
   behaviour: per-read timeouts only), which is given up on after 8 x the deadline.
2. retry budget: a site that always answers 503, scraped over the scrape stage's four attempts with
   two in-process retries each; one budget per site and lead against one per attempt (the old
   behaviour: 3 x 4 requests).
3. CSV memory: tracemalloc's peak while both ingest passes read a file with a 40 MB line, against
   the file's size.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
import tracemalloc
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

from pipeline import csvfile
from pipeline.errors import PipelineError, TransientError
from pipeline.models import LeadInput
from pipeline.scrape.budget import MemoryBudget
from pipeline.scrape.fetch import Fetcher
from pipeline.settings import Settings
from pipeline.stages.scrape import scrape
from tests.support.hostile_sites import drip, send
from tests.support.servers import serve


def _handler(respond: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(OSError):
                respond(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def bench_drip(deadline_s: float) -> None:
    cfg = Settings(allow_loopback=True, fetch_deadline_s=deadline_s, fetch_read_timeout_s=10.0, fetch_retries=0)
    raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>" * 4
    with serve(_handler(drip(raw, 0.5))) as url:
        started = time.monotonic()
        try:
            with Fetcher(cfg) as f:
                f.get(url)
        except PipelineError as exc:
            outcome = str(exc)
        ours = time.monotonic() - started
        done = threading.Event()
        started = time.monotonic()

        def plain() -> None:
            with contextlib.suppress(requests.RequestException):
                requests.get(url, timeout=(cfg.fetch_connect_timeout_s, cfg.fetch_read_timeout_s))
            done.set()

        threading.Thread(target=plain, daemon=True).start()
        finished = done.wait(8 * deadline_s)
        base = time.monotonic() - started
    shown = f"{base:.1f}s (until the server stopped its 15 s drip)" if finished else f">{base:.1f}s (still held)"
    print(f"drip  deadline={deadline_s}s  guarded={ours:.2f}s ({outcome})  plain requests={shown}")
    print(f"drip  ratio plain/guarded >= {base / ours:.1f}x; guarded within deadline: {ours <= deadline_s + 0.5}")


def bench_budget() -> None:
    hits: list[str] = []

    def always_503(h: BaseHTTPRequestHandler) -> None:
        hits.append(h.path)
        send(h, b"busy", status=503)

    cfg = Settings(allow_loopback=True, fetch_retries=2, fetch_retry_cap_s=0.01, scrape_offsite_assets=False)
    results = {}
    with serve(_handler(always_503)) as url:
        lead = LeadInput.model_validate(
            {"company": "Down Ltd", "website": url, "email": "a@down.example.com"}, context={"allow_loopback": True}
        )
        for label, shared in (("one budget per site and lead", True), ("one budget per attempt (before)", False)):
            hits.clear()
            budget = MemoryBudget()
            for attempt in range(4):
                with Fetcher(cfg, budget=budget if shared else MemoryBudget()) as f:
                    try:
                        scrape(lead, cfg, f, final_attempt=attempt == 3)
                        break
                    except TransientError:
                        continue
            results[label] = len(hits)
            print(f"budget  {label}: {len(hits)} requests to a site that always fails")
    ours, before = results.values()
    print(f"budget  ratio before/now = {before / ours:.1f}x (at most {cfg.fetch_site_budget} now)")


def bench_csv_memory() -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "huge.csv"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("company,website,email,notes\nA,a.example.com,a@a.example.com,ok\n")
            fh.write("B,b.example.com,b@b.example.com," + "x" * 40_000_000 + "\n")
            fh.write("C,c.example.com,c@c.example.com,ok\n")
        size = path.stat().st_size
        tracemalloc.start()
        parsed = csvfile.inspect(path)
        problems = [r.problem for r in csvfile.records(parsed) if r.problem]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"csv  file={size / 1e6:.0f} MB  peak={peak / 1e6:.1f} MB  ratio peak/file={peak / size:.2f}  {problems}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadline-s", type=float, default=2.0)
    args = parser.parse_args()
    bench_drip(args.deadline_s)
    bench_budget()
    bench_csv_memory()


if __name__ == "__main__":
    main()
