"""What `pipeline reconcile` costs on a big line: N active leads, each with its queued job, on a
private Redis; 1 % of the jobs lost. Prints the time of a pass and its ratio to the baseline
measured in the same run: reading every active lead record once (MGET by the state index), the
least any scan of the leads must do.

    python -m benchmarks.reconcile_cost --leads 100000
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import redis
from rq.job import Job

from pipeline import queues, redis_conn
from pipeline.models import LeadInput, LeadRecord, LeadState, Stage
from pipeline.reconcile import reconcile
from pipeline.settings import Settings
from pipeline.store import Store

BATCH = 1000


def populate(conn: redis.Redis, settings: Settings, n: int) -> list[str]:
    """N leads queued at random stages, each with its job, written in pipelined batches."""
    store = Store(conn)
    rng = random.Random(15)
    keys = []
    for start in range(0, n, BATCH):
        by_stage: dict[Stage, list[tuple[str, int]]] = {}
        with conn.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + BATCH)):
                lead = LeadInput(
                    company=f"Shop {i}", website=f"https://shop{i}.example.com/", email=f"a@shop{i}.example.com"
                )
                stage = rng.choice(list(Stage))
                record = LeadRecord(key=lead.key, lead=lead, run_id="bench", state=LeadState.QUEUED, stage=stage)
                record.note("ingested")
                store.save(record, pipe)
                by_stage.setdefault(stage, []).append((lead.key, 1))
                keys.append(lead.key)
            for stage, items in by_stage.items():
                queues.enqueue(conn, stage, items, settings, pipe)
            pipe.execute()
    return keys


def baseline(conn: redis.Redis) -> float:
    """Seconds to read every active lead record once, by the state index."""
    start = time.perf_counter()
    store = Store(conn)
    for state in (LeadState.QUEUED, LeadState.RUNNING, LeadState.RETRYING):
        for _ in store.iter_leads(store.keys_in_state(state)):
            pass
    return time.perf_counter() - start


def main() -> None:
    """Populate, lose 1 % of the jobs, time a dry run and a real pass."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="rcost-", dir="/tmp"))
    settings = Settings(var_dir=var, reconcile_grace_s=0)
    try:
        conn = redis.Redis.from_url(redis_conn.start_embedded(settings))
        t = time.perf_counter()
        keys = populate(conn, settings, args.leads)
        print(f"populated {len(keys)} active leads with their jobs in {time.perf_counter() - t:.1f}s")
        lost = keys[::100]
        with conn.pipeline(transaction=False) as pipe:
            for key in lost:
                record = Store(conn).get(key)
                assert record is not None
                jid = queues.job_id(key, record.stage, 1)
                pipe.lrem(queues.stage_queue(conn, record.stage).key, 0, jid)
                pipe.delete(Job.key_for(jid))
            pipe.execute()
        base = baseline(conn)
        dry = reconcile(conn, settings, dry_run=True)
        real = reconcile(conn, settings)
        again = reconcile(conn, settings)
        rows = [
            (f"baseline: read {len(keys)} lead records by state index", base),
            (f"reconcile --dry-run: {dry.scanned} scanned, {dry.stranded} stranded", dry.seconds),
            (f"reconcile: {real.requeued} re-enqueued", real.seconds),
            (f"reconcile again: {again.stranded} stranded", again.seconds),
        ]
        for label, seconds in rows:
            print(f"{label:<60} {seconds:7.2f}s  {seconds / base:5.1f}x baseline")
        print(
            f"throughput {dry.scanned / dry.seconds:,.0f} leads/s; expected {len(lost)} stranded, found {dry.stranded}"
        )
    finally:
        redis_conn.stop_embedded(settings)
        shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
