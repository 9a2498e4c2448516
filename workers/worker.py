"""The pipeline's worker process and the burst `drain` loop used by `make demo` and the tests.

`PipelineWorker` is an RQ `SimpleWorker` (no fork per job, so a stage can keep a warm resource such
as a browser) that re-checks the pause flag between dequeue and start: a job taken just as the line
was paused goes back to the front of its queue untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.scheduler import RQScheduler
from rq.suspension import is_suspended

from pipeline import control, runtime
from pipeline.errors import PipelineError
from pipeline.models import Stage
from pipeline.queues import stage_queue
from pipeline.settings import Settings

log = logging.getLogger("workers.worker")


class PipelineWorker(SimpleWorker):
    """SimpleWorker that honours a pause taken between dequeue and execution."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job, unless the line was paused since it was dequeued: then put it back."""
        if is_suspended(self.connection):
            with self.connection.pipeline() as pipe:
                queue.push_job_id(job.id, pipeline=pipe, at_front=True)
                pipe.lrem(queue.intermediate_queue_key, 1, job.id)
                pipe.execute()
            log.info("paused: job %s put back on %s", job.id, queue.name)
            return
        super().execute_job(job, queue)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """Our own errors (transient, permanent) were expected and classified: one log line, not a
        traceback; anything else is a bug and keeps RQ's full report. Exception handlers run either way."""
        exc = exc_info[1] if len(exc_info) > 1 else None
        if not isinstance(exc, PipelineError):
            super().handle_exception(job, *exc_info)
            return
        log.debug("job %s: %s: %s", job.id, type(exc).__name__, exc)
        call_exception_handlers(self._exc_handlers, job, *exc_info)


def queues_for(conn: redis.Redis, names: Sequence[str]) -> list[Queue]:
    """Queues by stage name; `all` (or nothing) means every stage."""
    if not names or list(names) == ["all"]:
        return [stage_queue(conn, s) for s in Stage]
    return [stage_queue(conn, Stage(n)) for n in names]


def make_worker(conn: redis.Redis, settings: Settings, names: Sequence[str]) -> PipelineWorker:
    """A worker on these stage queues, with this process's settings installed for its jobs."""
    runtime.install(settings)
    return PipelineWorker(queues_for(conn, names), connection=conn)


def enqueue_due(conn: redis.Redis, queues: Sequence[Queue]) -> None:
    """One scheduler pass: move retries that are due from ScheduledJobRegistry to their queues."""
    scheduler = RQScheduler([q.name for q in queues], connection=conn, logging_level=logging.WARNING)
    scheduler.acquire_locks()  # type: ignore[no-untyped-call]
    try:
        scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
    finally:
        scheduler.release_locks()  # type: ignore[no-untyped-call]


def pending(queues: Sequence[Queue]) -> int:
    """Jobs not yet finished or dead: queued, scheduled for retry, or running."""
    return sum(q.count + q.scheduled_job_registry.count + q.started_job_registry.count for q in queues)


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
            return DrainResult("done", 0, time.monotonic() - start)
        if time.monotonic() - start > timeout_s:
            return DrainResult("timeout", left, time.monotonic() - start)
        time.sleep(poll_s)
