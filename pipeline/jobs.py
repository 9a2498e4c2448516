"""The one job entry every stage runs through, and the failure callback that dead-letters leads.

`run_stage` loads the lead, calls the stage adapter, classifies errors, and then stores the output,
moves the lead's state and enqueues the next stage in one atomic Redis call (`pipeline.atomic`).
`on_job_failure` runs on every failed attempt: the lead is `retrying` while RQ has retries left,
`dead` once the job sits in FailedJobRegistry (the dead-letter queue).
"""

from __future__ import annotations

import logging
import math
import time
from types import TracebackType
from typing import Any, NamedTuple

import redis
from pydantic import BaseModel
from rq import Retry, get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from pipeline import atomic, breaker, jobwriter, metrics, runtime
from pipeline.errors import AmbiguousSend, Deferred, PermanentError, TransientError
from pipeline.logs import context
from pipeline.models import LeadRecord, LeadState, SiteBundle, Stage
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult, stage_function
from pipeline.store import Store, guard_key, lead_key

log = logging.getLogger("pipeline.jobs")


def run_stage(key: str, stage: str, generation: int) -> str | Retry:
    """RQ job entry: run one stage for one lead and chain the next. Returns a short outcome, or an
    RQ `Retry` that schedules the job again when the stage is `Deferred` (RQ counts those returns
    apart from the retries of errors, so a deferral uses none of the lead's retries)."""
    job = get_current_job()
    assert job is not None, "run_stage runs inside an RQ job"
    settings = runtime.settings()
    store = Store(job.connection, settings.output_ttl_s, settings.trail_max_events)
    st = Stage(stage)
    record = store.get(key)
    with context(lead=key, stage=st.value, job=job.id, run=record.run_id if record else "-"):
        if record is None:
            job.retries_left = 0
            raise PermanentError(f"lead {key} is unknown")
        if record.generation != generation:
            log.info("skipped: superseded by generation %s", record.generation)
            return "superseded"
        # A dead lead may come back through an operator's requeue of its failed job (rq-dashboard,
        # `rq requeue`); any other terminal state is final.
        if record.state.terminal and record.state != LeadState.DEAD:
            log.info("skipped: lead already %s", record.state)
            return f"already {record.state}"
        if record.stage != st:  # a duplicate or late job of a stage the lead has left
            log.info("skipped: lead is at stage %s", record.stage)
            return f"out of order: lead at {record.stage}"
        final = not job.retries_left
        _start(store, record, st, job.id)
        started = time.monotonic()
        try:
            result = stage_function(st)(StageContext(settings, record, store, final_attempt=final))
        except AmbiguousSend as exc:
            _hold(store, record, f"ambiguous send, held for a person: {exc}", job.id)
            return "held"
        except Deferred as exc:
            return _defer(store, settings, record, st, exc)
        except (TransientError, JobTimeoutException):
            raise
        except PermanentError:
            job.retries_left = 0  # a permanent error skips the remaining retries
            raise
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            # Redis blips, full disks, untranslated network errors: these can heal.
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            # An untranslated error is a bug, not a hiccup: retrying cannot heal it.
            job.retries_left = 0
            raise PermanentError(f"unexpected {type(exc).__name__}: {exc}") from exc
        return _commit(job.connection, store, settings, record, st, result, job.id, time.monotonic() - started)


def _start(store: Store, record: LeadRecord, stage: Stage, job_id: str) -> None:
    record.state = LeadState.RUNNING
    record.stage = stage
    attempt = record.attempts[stage.value] = record.attempts.get(stage.value, 0) + 1
    record.note("started", f"attempt {attempt}", stage, job=job_id, attempt=attempt)
    store.save(record)


def _defer(store: Store, settings: Settings, record: LeadRecord, stage: Stage, exc: Deferred) -> Retry:
    """Put the lead back to `queued` and have RQ schedule this job again once the delay is over."""
    delay = max(1, math.ceil(exc.delay_s))
    record.state = LeadState.QUEUED
    record.attempts[stage.value] = max(0, record.attempts.get(stage.value, 1) - 1)  # a deferral is no attempt
    record.note("deferred", f"{exc}; again in {delay}s", stage)
    store.save(record)
    log.info("deferred %ss: %s", delay, exc)
    return Retry(max=settings.send_max_deferrals, interval=delay)


def _hold(store: Store, record: LeadRecord, reason: str, job_id: str) -> None:
    record.state = LeadState.HELD
    record.last_error = reason
    record.note("held", reason, job=job_id)
    with store.conn.pipeline(transaction=True) as pipe:
        store.save(record, pipe)
        metrics.count_job(pipe, record.stage.value, "held")
        pipe.execute()
    log.warning("held: %s", reason)


def _commit(
    conn: redis.Redis,
    store: Store,
    settings: Settings,
    record: LeadRecord,
    stage: Stage,
    result: StageResult,
    job_id: str,
    seconds: float,
) -> str:
    """Store the output, move the lead and enqueue the next stage, atomically."""
    for fallback in result.degraded:
        if fallback not in record.degraded:
            record.note("fallback", fallback, stage, job=job_id)
    record.degraded += [d for d in result.degraded if d not in record.degraded]
    record.site_url = result.site_url or record.site_url
    record.email_file = result.email_file or record.email_file
    record.qa_status = result.qa_status or record.qa_status
    nxt = stage.next
    if result.end is not None:
        record.state, record.last_error = result.end, result.hold
        record.note(result.end.value, result.hold or "", stage)
        outcome = result.end.value
    elif result.hold:
        record.state, record.last_error = LeadState.HELD, result.hold
        record.note("held", result.hold, stage, job=job_id, seconds=seconds)
        outcome = "held"
    elif nxt is None:
        record.state, record.email_status, record.last_error = LeadState.EMAILED, "sent", None
        record.note("emailed", result.email_file or "", stage, job=job_id, seconds=seconds)
        outcome = "emailed"
    else:
        record.state, record.stage, record.last_error = LeadState.QUEUED, nxt, None
        record.note("done", f"next: {nxt.value}", stage, job=job_id, seconds=seconds)
        outcome = f"next {nxt.value}"
    return _commit_with_retries(_Commit(conn, store, settings, record, stage, result.output, outcome, seconds))


class _Commit(NamedTuple):
    """One stage's commit: where it goes, the lead as it moves on, the stage's output and outcome."""

    conn: redis.Redis
    store: Store
    settings: Settings
    record: LeadRecord
    stage: Stage
    output: BaseModel
    outcome: str
    seconds: float


# A commit whose EXEC did not reach Redis (or whose reply was lost) is tried this many times, with
# a short backoff, before the job fails as transient (RQ retries it; the lead is never stranded).
COMMIT_ATTEMPTS = 5


def _commit_with_retries(commit: _Commit) -> str:
    """Run the commit. A connection error (the request or its reply lost) leaves the outcome
    unknown: the lead is read again. Our own record there means the commit landed (only the reply
    was lost); a lead that is still ours means nothing was committed: try again; anything else:
    superseded. (Under WATCH/EXEC, redis-py reported a dropped connection as `WatchError`, "the
    lead changed": the one-call commit of `pipeline.atomic` has no such ambiguity.)"""
    record, outcome = commit.record, commit.outcome
    last: Exception | None = None
    events = list(record.history)  # a save hands them to the trail: keep them for another attempt
    for attempt in range(COMMIT_ATTEMPTS):
        record.history = list(events)
        try:
            if attempt:
                time.sleep(min(2.0, 0.1 * 2**attempt))
                current = commit.store.get(record.key)
                if _is_our_commit(current, record):
                    log.info("stage done: %s (commit confirmed after: %s)", outcome, last)
                    return outcome
                if not _still_ours(current, record.generation, commit.stage):
                    log.warning("not committed: the lead changed while the stage ran")
                    return "superseded"
                log.warning("commit did not reach Redis (%s): trying again", last)
            if not _exec_commit(commit):
                log.warning("not committed: the lead changed while the stage ran")
                return "superseded"
            log.info("stage done: %s", outcome)
            return outcome
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            last = exc
    raise TransientError(f"stage output not committed after {COMMIT_ATTEMPTS} attempts: {type(last).__name__}: {last}")


def _exec_commit(commit: _Commit) -> bool:
    """One commit, applied in one atomic round trip only while the lead is still the one this job
    started (same generation and stage, running): an operator's requeue or a duplicate job that
    moved the lead meanwhile makes this job's result stale, and nothing is written (False)."""
    conn, store, settings, record, stage, output, outcome, seconds = commit
    nxt = stage.next
    pipe = atomic.recorder(conn)
    store.put_output(record.key, stage, output, pipe)
    store.save(record, pipe, previous=LeadState.RUNNING)  # what the guard below checks
    metrics.count_job(pipe, stage.value, outcome.split(" ")[0].replace("next", "done"), seconds)
    breaker.record_success(pipe, stage.value, settings)
    if outcome.startswith("next") and nxt is not None:
        jobwriter.enqueue_one(conn, nxt, record.key, record.generation, settings, pipe)
    guard = atomic.Guard(lead_key(record.key), record.generation, stage.value, LeadState.RUNNING.value)
    return atomic.apply(conn, pipe, guard)


def _is_our_commit(current: LeadRecord | None, record: LeadRecord) -> bool:
    """Whether the stored lead is exactly the record this job meant to commit."""
    return (
        current is not None
        and current.generation == record.generation
        and current.state == record.state
        and current.stage == record.stage
        and current.updated_at == record.updated_at
    )


def _still_ours(current: LeadRecord | None, generation: int, stage: Stage) -> bool:
    """Whether the stored lead is still the one this job started: same generation, same stage, running."""
    return (
        current is not None
        and current.generation == generation
        and current.stage == stage
        and current.state == LeadState.RUNNING
    )


def on_job_failure(
    job: Job, connection: redis.Redis, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    """RQ failure callback (also for abandoned jobs): mark the lead `retrying` or `dead`."""
    key, stage, generation = _job_args(job)
    settings = runtime.settings()
    store = Store(connection, settings.output_ttl_s, settings.trail_max_events)
    record = store.get(key)
    if record is None or record.generation != generation or record.stage != Stage(stage):
        return  # a stale job: the lead has moved on
    if record.state.terminal and record.state != LeadState.DEAD:
        return  # e.g. a timeout or abandonment noticed after the job had committed
    record.last_error = f"{exc_type.__name__}: {exc}"[:2000]
    if issubclass(exc_type, ABANDONED) and _abandon_credit(record, Stage(stage)):
        # Not the lead's fault (a killed worker, a job stuck after dequeue, a job timeout): one more
        # try that does not spend the stage's own retries, within a small separate budget.
        job.retries_left = (job.retries_left or 0) + 1
    if job.retries_left:
        record.state = LeadState.RETRYING
        record.note("retrying", record.last_error, Stage(stage), job=job.id)
    else:
        record.state = LeadState.DEAD
        record.note("dead-lettered", record.last_error, Stage(stage), job=job.id)
        if Stage(stage) in COMPENSATED_STAGES and issubclass(exc_type, PermanentError):
            _compensate(store, record)
    with connection.pipeline(transaction=True) as pipe:
        store.save(record, pipe)
        metrics.count_job(pipe, stage, record.state.value)
        pipe.execute()
    with context(lead=key, stage=stage, job=job.id, run=record.run_id):
        log.warning("%s: %s", record.state.value, record.last_error)
        breaker.record_failure(connection, stage, settings, record.last_error)


# Failures that are the line's, not the lead's: they draw on `abandon_budget`, not on the retries.
ABANDONED: tuple[type[BaseException], ...] = (AbandonedJobError, JobTimeoutException)


def _abandon_credit(record: LeadRecord, stage: Stage) -> bool:
    """Spend one unit of the lead's abandonment budget at this stage; False when it is used up."""
    used = record.abandoned.get(stage.value, 0)
    if used >= runtime.settings().abandon_budget:
        return False
    record.abandoned[stage.value] = used + 1
    record.note("abandoned", f"{record.last_error} (retry {used + 1} of {runtime.settings().abandon_budget})", stage)
    return True


# Stages after deploy: a permanent failure there takes the published site down again.
COMPENSATED_STAGES = frozenset({Stage.QA, Stage.EMAIL})


def _compensate(store: Store, record: LeadRecord) -> None:
    """Undo deploy for a lead that can no longer be emailed (DESIGN.md: compensation in reverse
    order). An exhausted *transient* failure is not compensated: its requeue should find the site."""
    from pipeline.stages.deploy import undeploy_lead

    if store.conn.exists(guard_key(record.key)):
        # A send was started (or done): the link may be in the prospect's inbox; keep the site.
        record.note("compensation skipped", "a send was started for this lead")
        return
    bundle = store.get_output(record.key, Stage.BUILD, SiteBundle)
    if bundle is None:
        return
    try:
        undeploy_lead(runtime.settings(), bundle.slug)
    except (OSError, PermanentError) as exc:  # the lead is dead either way; say why the site stayed
        record.note("compensation failed", f"undeploy {bundle.slug}: {exc}")
        return
    record.site_url = None
    record.note("compensated", f"site {bundle.slug} undeployed")


def _job_args(job: Job) -> tuple[str, str, int]:
    args: Any = job.args
    return str(args[0]), str(args[1]), int(args[2])
