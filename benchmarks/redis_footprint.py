"""Redis memory per lead: after a run of the no-op chain, and once the RQ TTLs have passed.

    .venv/bin/python benchmarks/redis_footprint.py [--leads 500]

Runs `--leads` leads through the real five-stage chain with no-op cores (the machinery of
`benchmarks/overhead.py`) on a redis-server of the benchmark's own, then reports INFO memory's
`used_memory` delta per lead and `MEMORY USAGE` summed per key prefix (`pl:lead`, `rq:job`, ...).
"After the TTLs" deletes every key whose TTL is at most the RQ result TTL (job hashes, result
streams), which is what Redis does once that TTL has passed; the pipeline's own outputs and trail
(kept `output_ttl_s`) stay. The baseline, measured the same way in the same run, is the bare RQ
chain of five no-op jobs per lead. Goal (issue 20): < 12 KB per finished lead once its RQ jobs have
expired (RQ's result streams and job hashes dominate before: about 34 KB of a lead's 39 KB, which is
why `result_ttl_s` defaults to 10 minutes; the pipeline keeps its own outputs for `output_ttl_s`).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import redis  # noqa: E402

from benchmarks import overhead  # noqa: E402
from pipeline.models import Stage  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

GOAL_BYTES = 12 * 1024


def used_memory(conn: redis.Redis) -> int:
    """INFO memory's used_memory."""
    return int(conn.info("memory")["used_memory"])


def prefix(key: bytes) -> str:
    """The kind of a key: its first two colon-separated parts (`pl:lead`, `rq:job`, ...)."""
    return ":".join(key.decode(errors="replace").split(":")[:2])


def usage_by_prefix(conn: redis.Redis) -> Counter[str]:
    """MEMORY USAGE (exact, SAMPLES 0) of every key, summed per prefix."""
    keys = list(conn.scan_iter(count=1000))
    with conn.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.memory_usage(key, samples=0)
        sizes = pipe.execute()
    totals: Counter[str] = Counter()
    for key, size in zip(keys, sizes, strict=True):
        totals[prefix(key)] += int(size or 0)
    return totals


def expire_short_lived(conn: redis.Redis, ttl_s: int) -> int:
    """Delete the keys whose TTL is at most `ttl_s` (what Redis does once it has passed)."""
    keys = list(conn.scan_iter(count=1000))
    with conn.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.ttl(key)
        ttls = pipe.execute()
    doomed = [k for k, t in zip(keys, ttls, strict=True) if 0 <= int(t) <= ttl_s]
    for start in range(0, len(doomed), 1000):
        conn.delete(*doomed[start : start + 1000])
    return len(doomed)


def measure(conn: redis.Redis, leads: int, run: object, ttl_s: int) -> tuple[float, float, Counter[str]]:
    """Bytes per lead after the run and after the short TTLs, and the per-prefix usage after the run."""
    conn.flushdb()
    before = used_memory(conn)
    run()  # type: ignore[operator]
    after_run = (used_memory(conn) - before) / leads
    prefixes = usage_by_prefix(conn)
    expire_short_lived(conn, ttl_s)
    after_ttl = (used_memory(conn) - before) / leads
    return after_run, after_ttl, prefixes


def main() -> None:
    """Measure ours and bare RQ; print per-lead figures, the per-prefix table and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leads", type=int, default=500)
    args = ap.parse_args()
    if args.leads < 1:
        raise SystemExit("--leads must be at least 1")
    leads = args.leads
    with overhead.own_redis() as (conn, var_dir):
        settings: Settings = overhead.bench_settings(var_dir)
        ttl = settings.result_ttl_s

        def ours() -> None:
            overhead.runtime.install(settings)
            overhead.register_noop_stages()
            overhead.ingest_leads(conn, settings, leads)
            overhead.drain(conn, [s.value for s in Stage])

        ours_run, ours_ttl, ours_prefixes = measure(conn, leads, ours, ttl)
        # bare RQ's default result TTL is 500 s: its short-lived keys are those of RQ's default
        bare_run, bare_ttl, bare_prefixes = measure(conn, leads, lambda: overhead.run_bare(conn, leads), 500)
    print(f"Redis footprint: {leads} leads x {len(Stage)} no-op stages (result_ttl_s={ttl})")
    print(f"{'key prefix':<24} {'ours B/lead':>12} {'bare RQ B/lead':>15}")
    for name in sorted(set(ours_prefixes) | set(bare_prefixes), key=lambda p: -ours_prefixes[p]):
        print(f"{name:<24} {ours_prefixes[name] / leads:>12.0f} {bare_prefixes[name] / leads:>15.0f}")
    print(f"{'MEMORY USAGE total':<24} {sum(ours_prefixes.values()) / leads:>12.0f} "
          f"{sum(bare_prefixes.values()) / leads:>15.0f}")  # fmt: skip
    print(f"{'used_memory after run':<24} {ours_run:>12.0f} {bare_run:>15.0f}")
    print(f"{'used_memory after TTLs':<24} {ours_ttl:>12.0f} {bare_ttl:>15.0f}")
    print(f"ratio ours / bare RQ after the run: {ours_run / bare_run:.2f}x")
    verdict = "met" if ours_ttl < GOAL_BYTES else "NOT met"
    print(f"per finished lead: {ours_run / 1024:.1f} KB within the result TTL ({ttl} s), "
          f"{ours_ttl / 1024:.1f} KB after it (goal < 12 KB: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
