"""Chain overhead: the real five-stage chain with no-op stage cores against bare RQ jobs.

    .venv/bin/python benchmarks/overhead.py [--leads 500] [--rounds 1] [--profile]

Each stage's core is swapped for a no-op through the stage registry's own extension point:
`pipeline.stages.stage_function` imports `pipeline.stages.<stage>` and calls its `run`, so this
benchmark places a module of its own under that name (`register_noop_stages`). Everything else is the
product's: ingest writes the leads and their scrape jobs, and `pipeline.jobs.run_stage` loads the lead,
records the start, stores the output, moves the state, writes the trail and the metrics and enqueues
the next stage in its commit transaction. The baseline is what a bare RQ user writes: a job that
enqueues the next of five no-op jobs. Both run in RQ's `SimpleWorker` in burst mode over five
queues, on the same redis-server of the benchmark's own. Goal (issue 20): ours <= 1.3x bare RQ.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from rq import Queue, SimpleWorker, get_current_job  # noqa: E402

from pipeline import runtime  # noqa: E402
from pipeline.models import Stage  # noqa: E402
from pipeline.redis_conn import start_embedded, stop_embedded  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

BARE_QUEUES = [f"bare-{s.value}" for s in Stage]
BARE_FUNC = "benchmarks.overhead.bare_step"  # by name: RQ refuses functions of `__main__`


class NoopOutput(BaseModel):
    """The output every no-op core returns (stored like any stage output)."""

    stage: str


def register_noop_stages() -> None:
    """Make every stage's adapter a no-op: `stage_function` resolves `pipeline.stages.<stage>`
    through the import system, so a module of ours under that name is the stage's core."""
    from pipeline.stages import StageContext, StageResult

    for stage in Stage:

        def run(ctx: StageContext, _stage: str = stage.value) -> StageResult:
            return StageResult(output=NoopOutput(stage=_stage))

        module = types.ModuleType(f"pipeline.stages.{stage.value}", "no-op core (benchmarks/overhead.py)")
        module.run = run  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module


def bench_settings(var_dir: Path, **overrides: Any) -> Settings:
    """Settings of the benchmark: its own var dir, no drift check (one file, no history)."""
    return Settings(var_dir=var_dir, drift_check=False, **overrides)


@contextmanager
def own_redis() -> Iterator[tuple[redis.Redis, Path]]:
    """A redis-server of the benchmark's own on a temp dir; stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-", dir="/tmp") as tmp:
        settings = bench_settings(Path(tmp))
        url = start_embedded(settings)
        try:
            yield redis.Redis.from_url(url), Path(tmp)
        finally:
            stop_embedded(settings)


def write_leads_csv(path: Path, leads: int) -> None:
    """`leads` distinct valid prospects."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["company", "website", "email"])
        for i in range(leads):
            w.writerow([f"Shop {i}", f"shop{i}.example.com", f"owner{i}@shop{i}.example.com"])


def ingest_leads(conn: redis.Redis, settings: Settings, leads: int) -> None:
    """Ingest `leads` prospects the product's way: records and scrape jobs (not timed)."""
    from pipeline.ingest import ingest_file

    path = settings.var_dir / f"leads-{leads}.csv"
    write_leads_csv(path, leads)
    report = ingest_file(path, conn, settings, archive=False)
    if report.enqueued != leads:
        raise SystemExit(f"ingest enqueued {report.enqueued} of {leads} leads")


def drain(conn: redis.Redis, queue_names: list[str]) -> float:
    """Seconds for one burst SimpleWorker to empty the queues (jobs chain into later queues)."""
    queues = [Queue(name, connection=conn) for name in queue_names]
    worker = SimpleWorker(queues, connection=conn)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
    return time.perf_counter() - started


def run_ours(conn: redis.Redis, settings: Settings, leads: int, profile: bool = False) -> float:
    """Seconds for `leads` leads through the five no-op stages; checks every lead ended emailed."""
    from pipeline.store import state_key

    conn.flushdb()
    runtime.install(settings)
    register_noop_stages()
    ingest_leads(conn, settings, leads)
    if profile:
        prof = cProfile.Profile()
        seconds = prof.runcall(drain, conn, [s.value for s in Stage])
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(10)
        print(out.getvalue())
    else:
        seconds = drain(conn, [s.value for s in Stage])
    emailed = conn.scard(state_key("emailed"))
    if emailed != leads:
        raise SystemExit(f"only {emailed} of {leads} leads reached `emailed`")
    return seconds


def bare_step(key: str, index: int) -> str:
    """A bare RQ job: does nothing, then enqueues the next of five."""
    if index + 1 < len(BARE_QUEUES):
        job = get_current_job()
        assert job is not None
        Queue(BARE_QUEUES[index + 1], connection=job.connection).enqueue(BARE_FUNC, key, index + 1)
    return "ok"


def run_bare(conn: redis.Redis, leads: int) -> float:
    """Seconds for `leads` chains of five bare RQ jobs."""
    conn.flushdb()
    first = Queue(BARE_QUEUES[0], connection=conn)
    for start in range(0, leads, 1000):
        batch = [Queue.prepare_data(BARE_FUNC, (f"lead{i}", 0)) for i in range(start, min(leads, start + 1000))]
        with conn.pipeline() as pipe:
            first.enqueue_many(batch, pipeline=pipe)
            pipe.execute()
    seconds = drain(conn, BARE_QUEUES)
    done = sum(Queue(name, connection=conn).finished_job_registry.count for name in BARE_QUEUES)
    if done != leads * len(BARE_QUEUES):
        raise SystemExit(f"bare RQ finished {done} of {leads * len(BARE_QUEUES)} jobs")
    return seconds


def main() -> None:
    """Interleaved rounds of both variants; prints the table and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leads", type=int, default=500, help="leads per round (the issue's figure: 2000)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile our side once; top 10 cumulative")
    args = ap.parse_args()
    if args.leads < 1 or args.rounds < 1:
        raise SystemExit("--leads and --rounds must be at least 1")
    ours: list[float] = []
    bare: list[float] = []
    with own_redis() as (conn, var_dir):
        settings = bench_settings(var_dir)
        for _ in range(args.rounds):
            bare.append(run_bare(conn, args.leads))
            ours.append(run_ours(conn, settings, args.leads))
        if args.profile:
            print(f"cProfile of our chain ({args.leads} leads), top 10 cumulative:")
            run_ours(conn, settings, args.leads, profile=True)
    jobs = args.leads * len(Stage)
    best_ours, best_bare = min(ours), min(bare)
    print(f"chain overhead: {args.leads} leads x {len(Stage)} no-op stages = {jobs} jobs, best of {args.rounds}")
    print(f"{'variant':<28} {'seconds':>8} {'jobs/s':>8}")
    print(f"{'pipeline chain (no-op)':<28} {best_ours:>8.2f} {jobs / best_ours:>8.0f}")
    print(f"{'bare RQ chain':<28} {best_bare:>8.2f} {jobs / best_bare:>8.0f}")
    ratio = best_ours / best_bare
    print(f"ratio ours / bare RQ: {ratio:.2f}x (goal <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'})")


if __name__ == "__main__":
    main()
