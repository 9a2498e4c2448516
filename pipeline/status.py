"""What `pipeline status` reports, read-only (no registry cleanup, nothing written): pause state,
queue depths, live workers per queue, whether a scheduler runs, overdue retries, leads running
longer than their stage's job timeout, leads per state, the DLQ; and the problems among them,
one line each, for `pipeline status --check` (cron, monitoring)."""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime
from typing import cast

import redis
from pydantic import BaseModel
from rq import Worker
from rq.worker.base import BaseWorker

from pipeline import control
from pipeline.control import PauseState
from pipeline.models import LeadState, Stage
from pipeline.queues import stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from workers.lifecycle import scheduler_running

OVERDUE_GRACE_S = 30  # a scheduler moves a due job within a second or two; past this, nobody does
STUCK_GRACE_S = 60  # RQ itself gives a job its timeout plus a minute before calling it abandoned


class WorkerInfo(BaseModel):
    """One live worker process."""

    name: str
    host: str
    pid: int
    queues: list[str]
    state: str
    current_job: str | None


class QueueDepth(BaseModel):
    """Jobs of one stage queue by where they are, and who serves it."""

    stage: str
    queued: int
    scheduled: int
    running: int
    failed: int
    workers: list[WorkerInfo] = []
    scheduler: bool = False
    overdue: int = 0
    oldest_overdue_s: int = 0


class StuckLead(BaseModel):
    """A lead `running` longer than its stage's job timeout."""

    key: str
    stage: str
    running_s: int
    timeout_s: int


class Status(BaseModel):
    """A snapshot of the whole line; `problems` is what `status --check` reports."""

    redis_url: str
    allow_loopback: bool
    pause: PauseState
    stages_paused: dict[str, PauseState] = {}
    queues: list[QueueDepth]
    leads: dict[str, int]
    stuck: list[StuckLead] = []
    dlq_size: int
    sending: dict[str, int] = {}
    problems: list[str] = []


def _alive(worker: BaseWorker) -> bool:
    """A worker on this host must have a live pid; elsewhere its key (TTL-refreshed) must exist."""
    if worker.hostname != socket.gethostname():
        return True
    try:
        os.kill(int(worker.pid or 0), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def live_workers(conn: redis.Redis) -> list[WorkerInfo]:
    """Workers registered in Redis whose process is alive."""
    found = []
    for w in Worker.all(connection=conn):
        if w.pid and _alive(w):
            found.append(
                WorkerInfo(
                    name=w.name,
                    host=w.hostname or "?",
                    pid=int(w.pid),
                    queues=w.queue_names(),
                    state=str(w.get_state()),
                    current_job=w.get_current_job_id(),
                )
            )
    return found


def _depth(conn: redis.Redis, stage: Stage, workers: list[WorkerInfo], now: float) -> QueueDepth:
    q = stage_queue(conn, stage)
    due = cast(
        "list[tuple[bytes, float]]",
        conn.zrangebyscore(q.scheduled_job_registry.key, "-inf", now - OVERDUE_GRACE_S, withscores=True),
    )
    overdue = [now - float(score) for _, score in due]
    return QueueDepth(
        stage=stage.value,
        queued=int(conn.llen(q.key)),
        scheduled=q.scheduled_job_registry.get_job_count(cleanup=False),
        running=q.started_job_registry.get_job_count(cleanup=False),
        failed=q.failed_job_registry.get_job_count(cleanup=False),
        workers=[w for w in workers if stage.value in w.queues],
        scheduler=scheduler_running(conn, stage.value),
        overdue=len(overdue),
        oldest_overdue_s=round(max(overdue, default=0)),
    )


def stuck_leads(store: Store, settings: Settings) -> list[StuckLead]:
    """Leads `running` for longer than their stage's job timeout (plus RQ's minute of grace)."""
    now = datetime.now(UTC)
    stuck = []
    for rec in store.iter_leads(store.keys_in_state(LeadState.RUNNING)):
        timeout = settings.job_timeout_s.get(rec.stage.value, 180)
        running = (now - rec.updated_at).total_seconds()
        if running > timeout + STUCK_GRACE_S:
            stuck.append(StuckLead(key=rec.key, stage=rec.stage.value, running_s=round(running), timeout_s=timeout))
    return stuck


def problems(s: Status) -> list[str]:
    """What needs a person, one line each (empty: healthy)."""
    found = []
    if s.pause.paused:
        found.append(f"line paused since {s.pause.since or '?'} by {s.pause.by or '?'}: {s.pause.reason}")
    for stage, p in s.stages_paused.items():
        found.append(f"stage {stage} paused by {p.by or '?'}: {p.reason}")
    for q in s.queues:
        if not q.workers:
            found.append(f"no live worker on queue {q.stage} ({q.queued} queued)")
        if q.scheduled and not q.scheduler:
            found.append(f"no scheduler for queue {q.stage}: {q.scheduled} retry(ies) wait for one")
        if q.overdue:
            found.append(f"{q.overdue} scheduled job(s) of {q.stage} overdue, the oldest by {q.oldest_overdue_s}s")
    for lead in s.stuck:
        found.append(f"lead {lead.key} running {lead.stage} for {lead.running_s}s (job timeout {lead.timeout_s}s)")
    return found


def sending(conn: redis.Redis, settings: Settings) -> dict[str, int]:
    """The send throttle's use (this window, last 24 h) against its caps, and the suppression list's size."""
    from pipeline import suppression
    from pipeline.mail.throttle import Limit, Throttle

    throttle = Throttle(conn)
    return {
        "window_used": throttle.used(Limit("window", settings.send_cap_per_window, settings.send_window_s)),
        "window_cap": settings.send_cap_per_window,
        "window_s": settings.send_window_s,
        "day_used": throttle.used(Limit("day", settings.send_cap_per_day, 86400)),
        "day_cap": settings.send_cap_per_day,
        "suppressed": suppression.size(conn),
    }


def snapshot(conn: redis.Redis, settings: Settings, redis_url: str) -> Status:
    """Read the line's state (read-only)."""
    workers = live_workers(conn)
    now = time.time()
    depths = [_depth(conn, stage, workers, now) for stage in Stage]
    store = Store(conn)
    counts = store.counts_by_state()
    status = Status(
        redis_url=redis_url,
        allow_loopback=settings.allow_loopback,
        pause=control.state(conn),
        stages_paused=control.paused_stages(conn),
        queues=depths,
        leads={s.value: counts.get(s, 0) for s in LeadState},
        stuck=stuck_leads(store, settings),
        dlq_size=sum(d.failed for d in depths),
        sending=sending(conn, settings),
    )
    return status.model_copy(update={"problems": problems(status)})
