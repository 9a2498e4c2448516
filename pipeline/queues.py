"""Stage queues, deterministic job ids, and retry policies with full jitter.

One RQ queue per stage, named after it. A job carries `(lead_key, stage, generation)` and nothing
else; its id is `<lead>-<stage>-<generation>`, so the same enqueue can never make two jobs.
"""

from __future__ import annotations

import os
import random

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry
from rq.queue import EnqueueData

from pipeline.models import Stage
from pipeline.settings import Settings

JOB_FUNC = "pipeline.jobs.run_stage"
FAILURE_CALLBACK = "pipeline.jobs.on_job_failure"


def job_id(key: str, stage: Stage | str, generation: int) -> str:
    """Deterministic RQ job id (RQ 3 allows only letters, digits, `_` and `-`)."""
    return f"{key}-{Stage(stage).value}-{generation}"


def parse_job_id(jid: str) -> tuple[str, Stage, int]:
    """Inverse of `job_id`."""
    key, stage, generation = jid.rsplit("-", 2)
    return key, Stage(stage), int(generation)


_RNG = random.Random()  # one per process: seeding a new generator per job costs more than the jitter
# a forked child (ingest's row checker builds jobs) draws its own jitter, not a copy of its parent's
os.register_at_fork(after_in_child=_RNG.seed)


def retry_intervals(
    retries: int, base_s: float, cap_s: float, rng: random.Random | None = None, strategy: str = "exponential"
) -> list[int]:
    """Backoff with full jitter: delay i is uniform in [0, min(cap, ceiling_i)], whole seconds (RQ's
    scheduler has whole-second resolution). The ceiling is `base` (fixed), `base·(i+1)` (linear) or
    `base·2^i` (exponential)."""
    rng = rng or _RNG
    return [round(rng.uniform(0, min(cap_s, base_s * _growth(strategy, i)))) for i in range(retries)]


def _growth(strategy: str, attempt: int) -> int:
    """Factor of the base delay for a retry: 1, attempt+1, or 2^attempt."""
    if strategy == "fixed":
        return 1
    return attempt + 1 if strategy == "linear" else int(2**attempt)


def retry_params(stage: Stage, settings: Settings) -> tuple[int, float, float, None, str]:
    """The arguments of `retry_intervals` for a stage: retries, base, cap, (the process's RNG), strategy."""
    retries = settings.retry_max.get(stage.value, 0)
    cap = settings.retry_cap_s.get(stage.value, 300)
    return retries, settings.retry_base_s, cap, None, settings.retry_strategy.get(stage.value, "exponential")


def retry_for(stage: Stage, settings: Settings) -> Retry | None:
    """RQ retry policy of a stage, with a freshly jittered interval list; None for no retries."""
    params = retry_params(stage, settings)
    return Retry(max=params[0], interval=retry_intervals(*params)) if params[0] > 0 else None


def stage_queue(conn: redis.Redis, stage: Stage | str) -> Queue:
    """The RQ queue of a stage."""
    return Queue(Stage(stage).value, connection=conn)


def all_queues(conn: redis.Redis) -> list[Queue]:
    """Every stage queue, in stage order."""
    return [stage_queue(conn, s) for s in Stage]


def job_description(stage: Stage, key: str, generation: int) -> str:
    """A job's description: short (RQ's default is the repr of the arguments)."""
    return f"{stage.value} {key} g{generation}"


def job_data(stage: Stage, key: str, generation: int, settings: Settings) -> EnqueueData:
    """Everything RQ needs to enqueue one stage job of one lead."""
    return Queue.prepare_data(
        JOB_FUNC,
        args=(key, stage.value, generation),
        job_id=job_id(key, stage, generation),
        description=job_description(stage, key, generation),
        timeout=settings.job_timeout_s.get(stage.value, 180),
        result_ttl=settings.result_ttl_s,
        failure_ttl=settings.failure_ttl_s,
        retry=retry_for(stage, settings),
        on_failure=Callback(FAILURE_CALLBACK),
    )


def enqueue(
    conn: redis.Redis, stage: Stage, items: list[tuple[str, int]], settings: Settings, pipe: Pipeline | None = None
) -> None:
    """Enqueue `(lead_key, generation)` jobs of one stage; inside `pipe` when given (not executed)."""
    if items:
        stage_queue(conn, stage).enqueue_many([job_data(stage, k, g, settings) for k, g in items], pipeline=pipe)
