"""The pipeline's worker process (the burst `drain` loop lives in `pipeline.drain`).

`PipelineWorker` is an RQ `SimpleWorker` (no fork per job, so a stage can keep a warm resource such
as a browser) that re-checks the pause flag between dequeue and start: a job taken just as the line
was paused goes back to the front of its queue untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.suspension import is_suspended

from pipeline import control, runtime
from pipeline.errors import PipelineError
from pipeline.models import Stage
from pipeline.queues import stage_queue
from pipeline.settings import Settings

log = logging.getLogger("workers.worker")


class PipelineWorker(SimpleWorker):
    """SimpleWorker that honours a pause of the line or of its stages, also one taken between
    dequeue and execution: such a job goes back to the front of its queue untouched."""

    def check_for_suspension(self, burst: bool) -> None:
        """Wait while the line is paused (RQ's check), and while every stage of this worker is."""
        super().check_for_suspension(burst)
        told = False
        while not self._stop_requested and self._open_queues() == []:
            if burst:
                raise StopRequested
            if not told:
                log.info("stage(s) %s paused: waiting", ",".join(self.queue_names()))
                told = True
            time.sleep(1)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        """Dequeue only from the stages that are not paused on their own."""
        self._ordered_queues = self._open_queues() or self.queues[:]
        return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)

    def _open_queues(self) -> list[Queue]:
        paused = control.paused_stages(self.connection)
        return [q for q in self.queues if q.name not in paused]

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job, unless the line or its stage was paused since it was dequeued: then put it back."""
        if is_suspended(self.connection) or control.stage_paused(self.connection, queue.name):
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
