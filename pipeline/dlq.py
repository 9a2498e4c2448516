"""The dead-letter queue: RQ's FailedJobRegistry of every stage queue.

`requeue` goes through our own job entry with fresh retries: it bumps the lead's generation (a new
job id) and removes the failed job, instead of RQ's requeue, which keeps `retries_left` at 0.
"""

from __future__ import annotations

from datetime import datetime

import redis
from pydantic import BaseModel
from rq.job import Job
from rq.registry import FailedJobRegistry

from pipeline import queues
from pipeline.errors import InputError
from pipeline.models import LeadState, Stage
from pipeline.settings import Settings
from pipeline.store import Store


class DeadJob(BaseModel):
    """One dead-lettered job, as operators see it."""

    job_id: str
    stage: str
    lead: str
    generation: int
    failed_at: datetime | None
    error: str


def _registry(conn: redis.Redis, stage: Stage) -> FailedJobRegistry:
    return FailedJobRegistry(stage.value, connection=conn)


def _last_line(text: str | None) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _describe(job: Job, stage: Stage) -> DeadJob:
    args = job.args
    result = job.latest_result()
    return DeadJob(
        job_id=job.id,
        stage=stage.value,
        lead=str(args[0]) if args else "?",
        generation=int(args[2]) if len(args) > 2 else 0,
        failed_at=job.ended_at,
        error=_last_line(result.exc_string if result else None),
    )


def list_jobs(conn: redis.Redis) -> list[DeadJob]:
    """Every dead-lettered job of every stage, oldest stage first."""
    out: list[DeadJob] = []
    for stage in Stage:
        ids = _registry(conn, stage).get_job_ids()
        for job in Job.fetch_many(ids, connection=conn):
            if job is not None:
                out.append(_describe(job, stage))
    return out


def size(conn: redis.Redis) -> int:
    """Number of dead-lettered jobs."""
    return sum(_registry(conn, s).count for s in Stage)


def show(conn: redis.Redis, job_id: str) -> tuple[DeadJob, str]:
    """One dead job and its full traceback."""
    stage = _stage_of(conn, job_id)
    job = Job.fetch(job_id, connection=conn)
    result = job.latest_result()
    return _describe(job, stage), (result.exc_string if result else "") or ""


def _stage_of(conn: redis.Redis, job_id: str) -> Stage:
    for stage in Stage:
        if job_id in _registry(conn, stage):
            return stage
    raise InputError(f"no dead-lettered job {job_id!r} (see `pipeline dlq list`)")


def requeue(conn: redis.Redis, settings: Settings, job_id: str) -> str:
    """Re-run a dead job's stage for its lead with fresh retries; returns the new job id."""
    stage = _stage_of(conn, job_id)
    try:
        key, _, generation = queues.parse_job_id(job_id)
    except ValueError:
        raise InputError(f"{job_id!r} is not a pipeline job; use rq-dashboard or `rq` for it") from None
    store = Store(conn, settings.output_ttl_s)
    record = store.get(key)
    registry = _registry(conn, stage)
    if record is None:
        raise InputError(f"lead {key} of job {job_id} is unknown; purge the job instead")
    if record.generation != generation or record.state != LeadState.DEAD:
        raise InputError(
            f"job {job_id} is stale: lead {key} is {record.state.value} at generation {record.generation}; "
            "purge the job instead"
        )
    stage = restart_stage(store, key, stage, site_live=record.site_url is not None)
    record.generation += 1
    record.state, record.stage, record.last_error = LeadState.QUEUED, stage, None
    record.note("requeued", f"from dead-letter job {job_id}", stage)
    old = Job.fetch(job_id, connection=conn)
    with conn.pipeline(transaction=True) as pipe:
        store.save(record, pipe)
        queues.enqueue(conn, stage, [(key, record.generation)], settings, pipe)
        registry.remove(job_id, pipeline=pipe)
        old.delete(pipeline=pipe)
        pipe.execute()
    return queues.job_id(key, stage, record.generation)


def restart_stage(store: Store, key: str, failed: Stage, *, site_live: bool) -> Stage:
    """Where a requeued lead starts again: the failed stage, or earlier when what it needs is gone
    (a site undeployed by compensation, or stage outputs that expired)."""
    needs = {Stage.BUILD: Stage.SCRAPE, Stage.DEPLOY: Stage.BUILD, Stage.QA: Stage.DEPLOY, Stage.EMAIL: Stage.DEPLOY}
    stage = failed
    if stage in (Stage.QA, Stage.EMAIL) and not site_live:
        stage = Stage.DEPLOY
    while stage in needs and not store.has_output(key, needs[stage]):
        stage = needs[stage]
    return stage


def requeue_all(conn: redis.Redis, settings: Settings) -> tuple[list[str], list[str]]:
    """Requeue every dead job that can be; returns the new job ids and, for the others, why not."""
    done, refused = [], []
    for dead in list_jobs(conn):
        try:
            done.append(requeue(conn, settings, dead.job_id))
        except InputError as exc:
            refused.append(str(exc))
    return done, refused


def purge(conn: redis.Redis, job_id: str | None = None) -> int:
    """Delete one dead job, or all of them; their leads stay `dead`. Returns how many went."""
    if job_id is not None:
        _registry(conn, _stage_of(conn, job_id)).remove(job_id, delete_job=True)
        return 1
    n = 0
    for stage in Stage:
        registry = _registry(conn, stage)
        for jid in registry.get_job_ids():
            registry.remove(jid, delete_job=True)
            n += 1
    return n
