"""The burst `drain` loop used by `make demo` and the tests: burst workers plus scheduler passes
until no job of the chosen stages is pending."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from rq import Queue
from rq.scheduler import RQScheduler

from pipeline import control
from pipeline.reconcile import reconcile
from pipeline.settings import Settings
from workers.worker import make_worker, queues_for

log = logging.getLogger("pipeline.drain")


def enqueue_due(conn: redis.Redis, queues: Sequence[Queue]) -> None:
    """One scheduler pass: move retries that are due from ScheduledJobRegistry to their queues."""
    scheduler = RQScheduler([q.name for q in queues], connection=conn, logging_level=logging.WARNING)
    scheduler.acquire_locks()  # type: ignore[no-untyped-call]
    try:
        scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
    finally:
        scheduler.release_locks()  # type: ignore[no-untyped-call]


def pending(queues: Sequence[Queue]) -> int:
    """Jobs not yet finished or dead: queued, taken by a worker (intermediate), scheduled for retry,
    or running. Raw LLEN/ZCARD only: RQ's `registry.count` also cleans up expired jobs (re-queues
    abandoned ones) outside its maintenance lock, so two drains at once re-queued the same job twice.
    Cleanup is left to the workers' maintenance, which takes the lock."""
    if not queues:
        return 0
    with queues[0].connection.pipeline(transaction=False) as pipe:
        for q in queues:
            pipe.llen(q.key)
            pipe.llen(q.intermediate_queue_key)
            pipe.zcard(q.scheduled_job_registry.key)
            pipe.zcard(q.started_job_registry.key)
        return sum(int(n) for n in pipe.execute())


@dataclass
class DrainResult:
    """How a drain ended: `done`, `paused` or `timeout`, with jobs still pending."""

    outcome: str
    pending: int
    seconds: float


def drain(
    conn: redis.Redis, settings: Settings, names: Sequence[str] = (), timeout_s: float = 300.0, poll_s: float = 0.25
) -> DrainResult:
    """Run burst workers (plus scheduler passes for retries) until no job is pending."""
    start = time.monotonic()
    queues = queues_for(conn, names)
    while True:
        if control.state(conn).paused:
            return DrainResult("paused", pending(queues), time.monotonic() - start)
        enqueue_due(conn, queues)
        make_worker(conn, settings, names).work(burst=True, logging_level=logging.getLevelName(log.getEffectiveLevel()))
        left = pending(queues)
        if left == 0:
            # Nothing pending: any lead still active is stranded (its job lost); past the grace
            # period, reconcile puts it back and the drain goes on.
            if reconcile(conn, settings).requeued:
                continue
            return DrainResult("done", 0, time.monotonic() - start)
        paused = control.paused_stages(conn)
        if paused and pending([q for q in queues if q.name not in paused]) == 0:
            return DrainResult("paused", left, time.monotonic() - start)  # what is left waits for a resume
        if time.monotonic() - start > timeout_s:
            return DrainResult("timeout", left, time.monotonic() - start)
        time.sleep(poll_s)
