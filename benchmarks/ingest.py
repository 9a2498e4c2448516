"""Ingest throughput and memory: `pipeline ingest` against what a careful RQ user writes.

    .venv/bin/python benchmarks/ingest.py [--rows 100000] [--big-rows 1000000] [--rounds 2]

A CSV from a fixed seed (2 % invalid rows, 2 % duplicates) is ingested by three variants, each in a
process of its own against the same fresh Redis (a redis-server of the benchmark's own), in
interleaved rounds: `pipeline ingest` exactly as a user runs it; per-row `Queue.enqueue`; and
`enqueue_many` in batches of 1,000. The two baselines validate every row with the same `LeadInput`
rules and dedupe within the file, so the work is the same; only the pipeline also writes lead
records, the run record and the rejects file. Prints rows/s, the ratio to `enqueue_many`, and the
peak RSS of each process; then the peak RSS of `pipeline ingest` on `--big-rows` rows.
Goals (issue 20): >= 8,000 rows/s and >= 2x enqueue_many; peak RSS < 150 MB at both sizes.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

VARIANTS = ("pipeline ingest", "rq enqueue per row", "rq enqueue_many x1000")


def make_csv(path: Path, rows: int, seed: int = 20261202) -> None:
    """Prospects with a few invalid rows and duplicates, reproducibly."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["company", "website", "email", "first_name", "last_name", "phone", "city", "country"])
        for i in range(rows):
            n = rng.randrange(i + 1) if rng.random() < 0.02 else i  # ~2 % repeat an earlier row
            email = f"owner{n}@shop{n}.example.com" if rng.random() >= 0.02 else f"not-an-email-{n}"
            w.writerow([f"Shop {n}", f"shop{n}.example.com", email, "Ann", "Lee", "+44 20 7946 0000", "Leeds", "UK"])


def _child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_variant(variant: str, csv_path: Path, redis_url: str, var_dir: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one variant, run in a fresh process."""
    env = {**os.environ, "REDIS_URL": redis_url, "PIPELINE_VAR_DIR": str(var_dir), "PIPELINE_DRIFT_CHECK": "0"}
    env.pop("PIPELINE_ENV_FILE", None)
    if variant == "pipeline ingest":
        argv = [str(REPO / ".venv" / "bin" / "pipeline"), "--log-level", "WARNING", "ingest", str(csv_path)]
    else:
        argv = [sys.executable, __file__, "--baseline", variant, "--csv", str(csv_path), "--redis-url", redis_url]
    code = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter(); rc = subprocess.call(sys.argv[1:]);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, rc)"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, check=True)
    seconds, rss, rc = out.stdout.split()[-3:]
    if int(rc) not in (0, 3):  # 3: some rows rejected, as intended
        raise SystemExit(f"{variant} failed ({rc}): {out.stderr[-2000:]}")
    return float(seconds), float(rss)


def baseline(variant: str, csv_path: Path, redis_url: str) -> None:
    """What a careful RQ user writes: validate each row, dedupe in the file, enqueue a job per lead."""
    import redis
    from pydantic import ValidationError
    from rq import Queue

    from pipeline.models import LeadInput

    conn = redis.Redis.from_url(redis_url)
    queue = Queue("baseline", connection=conn)
    seen: set[str] = set()
    batch = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            try:
                lead = LeadInput.model_validate(row, context={"allow_loopback": False})
            except ValidationError:
                continue
            key = lead.key
            if key in seen:
                continue
            seen.add(key)
            if variant == "rq enqueue per row":
                queue.enqueue("pipeline.jobs.run_stage", key, "scrape", 1, job_id=f"{key}-scrape-1")
                continue
            batch.append(Queue.prepare_data("pipeline.jobs.run_stage", (key, "scrape", 1), job_id=f"{key}-scrape-1"))
            if len(batch) == 1000:
                with conn.pipeline() as pipe:
                    queue.enqueue_many(batch, pipeline=pipe)
                    pipe.execute()
                batch = []
    if batch:
        with conn.pipeline() as pipe:
            queue.enqueue_many(batch, pipeline=pipe)
            pipe.execute()


def main() -> None:
    """Run the rounds and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--big-rows", type=int, default=1_000_000, help="0 skips the large RSS run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--baseline", choices=VARIANTS[1:], help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.baseline:
        baseline(args.baseline, args.csv, args.redis_url)
        return

    import redis

    from pipeline import redis_conn
    from pipeline.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="pl-bench-", dir="/tmp"))
    settings = Settings(var_dir=work / "redis-var")
    url = redis_conn.start_embedded(settings)
    conn = redis.Redis.from_url(url, socket_timeout=120)  # a FLUSHALL of 1M rows under load takes > 5 s
    try:
        csv_path = work / "leads.csv"
        make_csv(csv_path, args.rows)
        results: dict[str, list[tuple[float, float]]] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):
            for variant in VARIANTS:
                conn.flushall()
                shutil.rmtree(work / "var", ignore_errors=True)
                results[variant].append(run_variant(variant, csv_path, url, work / "var"))
        best = {v: min(r[0] for r in rs) for v, rs in results.items()}
        print(f"\ningest of {args.rows:,} rows (2 % invalid, 2 % duplicates), best of {args.rounds} interleaved rounds")
        print(f"{'variant':28} {'rows/s':>9} {'vs enqueue_many':>16} {'peak RSS MB':>12}")
        for v in VARIANTS:
            rss = max(r[1] for r in results[v])
            ratio = best[VARIANTS[2]] / best[v]
            print(f"{v:28} {args.rows / best[v]:9,.0f} {ratio:15.2f}x {rss:12.0f}")
        if args.big_rows:
            big = work / "big.csv"
            make_csv(big, args.big_rows)
            conn.flushall()
            seconds, rss = run_variant(VARIANTS[0], big, url, work / "var-big")
            rate = args.big_rows / seconds
            print(f"{'pipeline ingest, big':28} {rate:9,.0f} {'':>16} {rss:12.0f}  ({args.big_rows:,} rows)")
    finally:
        conn.close()
        redis_conn.stop_embedded(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
