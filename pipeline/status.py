"""What `pipeline status` reports: pause state, queue depths, leads per state, DLQ size."""

from __future__ import annotations

import redis
from pydantic import BaseModel

from pipeline import control
from pipeline.control import PauseState
from pipeline.models import LeadState, Stage
from pipeline.queues import stage_queue
from pipeline.settings import Settings
from pipeline.store import Store


class QueueDepth(BaseModel):
    """Jobs of one stage queue by where they are."""

    stage: str
    queued: int
    scheduled: int
    running: int
    failed: int


class Status(BaseModel):
    """A snapshot of the whole line."""

    redis_url: str
    allow_loopback: bool
    pause: PauseState
    stages_paused: dict[str, PauseState] = {}
    queues: list[QueueDepth]
    leads: dict[str, int]
    dlq_size: int


def snapshot(conn: redis.Redis, settings: Settings, redis_url: str) -> Status:
    """Read the line's state (read-only)."""
    depths = []
    for stage in Stage:
        q = stage_queue(conn, stage)
        depths.append(
            QueueDepth(
                stage=stage.value,
                queued=q.count,
                scheduled=q.scheduled_job_registry.count,
                running=q.started_job_registry.count,
                failed=q.failed_job_registry.count,
            )
        )
    counts = Store(conn).counts_by_state()
    return Status(
        redis_url=redis_url,
        allow_loopback=settings.allow_loopback,
        pause=control.state(conn),
        stages_paused=control.paused_stages(conn),
        queues=depths,
        leads={s.value: counts.get(s, 0) for s in LeadState},
        dlq_size=sum(d.failed for d in depths),
    )
