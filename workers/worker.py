"""The pipeline's worker process (the burst `drain` loop lives in `pipeline.drain`).

`PipelineWorker` is an RQ `SimpleWorker` (no fork per job, so a stage can keep a warm resource such
as a browser) that re-checks the pause flag between dequeue and start: a job taken just as the line
was paused goes back to the front of its queue untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.suspension import is_suspended

from pipeline import runtime
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
