"""The pipeline's worker process (the burst `drain` loop lives in `pipeline.drain`).

`PipelineWorker` is an RQ `SimpleWorker` (no fork per job, so a stage can keep a warm resource such
as a browser) that re-checks the pause flag between dequeue and start: a job taken just as the line
was paused goes back to the front of its queue untouched. Around Redis and the scheduler
(`workers.lifecycle`): it wakes at least every `SCHEDULER_CHECK_S` to free a stale scheduler lock
and take the scheduler over when nobody runs it (RQ alone retries only after its maintenance
interval), and a stop signal logs one line and lets the current job finish (no RQ chatter).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.exceptions import AbandonedJobError, StopRequested
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.suspension import is_suspended

from pipeline import control, runtime
from pipeline.errors import PipelineError
from pipeline.models import Stage
from pipeline.queues import stage_queue
from pipeline.settings import Settings
from workers.lifecycle import free_stale_scheduler_locks

log = logging.getLogger("workers.worker")

SCHEDULER_CHECK_S = 5
"""Longest idle wait between two scheduler checks (the blocking dequeue times out this often)."""


class PipelineWorker(SimpleWorker):
    """SimpleWorker that honours a pause of the line or of its stages (also one taken between
    dequeue and execution: such a job goes back to the front of its queue untouched), keeps a
    scheduler running for its queues, and stops quietly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("worker_ttl", SCHEDULER_CHECK_S + 15)  # RQ blocks on dequeue for ttl - 15 s
        super().__init__(*args, **kwargs)

    @property
    def should_run_maintenance_tasks(self) -> bool:
        """Every loop turn: the scheduler check is cheap; cleaning keeps RQ's own interval."""
        return True

    def run_maintenance_tasks(self) -> None:
        """Free stale scheduler locks and start our scheduler if a lock is free; clean the
        registries only every `maintenance_interval` (RQ's own maintenance)."""
        if self.scheduler is not None and not self._stop_requested:  # never start one while stopping
            free_stale_scheduler_locks(self.connection, self.queue_names())
            process = self.scheduler._process
            if process is None or not process.is_alive():
                self.scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]
        due = self.last_cleaned_at is None or datetime.now(UTC) - self.last_cleaned_at > timedelta(
            seconds=self.maintenance_interval
        )
        if due:
            self.clean_registries()  # type: ignore[no-untyped-call]
            self.clean_group_registries()  # type: ignore[no-untyped-call]

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO", *args: Any) -> None:
        """RQ's scheduler start, after freeing locks that dead processes left behind; the scheduler
        logs warnings only (its lock chatter would drown the pipeline's lines)."""
        free_stale_scheduler_locks(self.connection, self.queue_names())
        super()._start_scheduler(burst, "WARNING", *args)

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """One log line, then RQ's warm shutdown (the current job finishes) without its chatter."""
        log.info(
            "worker pid %d (%s): %s received, stopping after the current job",
            os.getpid(),
            ",".join(self.queue_names()),
            signal.Signals(signum).name,
        )
        for name in ("rq.worker", "rq.scheduler", "rq.job"):
            logging.getLogger(name).setLevel(logging.WARNING)
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

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

    def handle_job_failure(
        self,
        job: Job,
        queue: Queue,
        started_job_registry: Any = None,
        exc_string: str = "",
        execution: Any = None,
    ) -> None:
        """RQ fails a job stuck in its intermediate queue (the worker died right after taking it)
        here, without the job's failure callback: run ours first, so the lead is retried (from the
        abandonment budget) or dead-lettered, never left `queued` with its job in the DLQ."""
        if execution is None and "intermediate queue" in exc_string:
            from pipeline.jobs import on_job_failure

            try:
                on_job_failure(job, self.connection, AbandonedJobError, AbandonedJobError(exc_string), None)
            except Exception:  # the lead is then left to `pipeline reconcile`
                log.exception("failure callback of stuck job %s raised", job.id)
        super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)


def queues_for(conn: redis.Redis, names: Sequence[str]) -> list[Queue]:
    """Queues by stage name; `all` (or nothing) means every stage."""
    if not names or list(names) == ["all"]:
        return [stage_queue(conn, s) for s in Stage]
    return [stage_queue(conn, Stage(n)) for n in names]


def make_worker(conn: redis.Redis, settings: Settings, names: Sequence[str]) -> PipelineWorker:
    """A worker on these stage queues, with this process's settings installed for its jobs."""
    runtime.install(settings)
    return PipelineWorker(queues_for(conn, names), connection=conn)
