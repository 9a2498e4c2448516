"""Pause and resume the line. Pausing sets RQ's own suspension flag (so plain `rq resume` and
rq-dashboard see the same thing) plus our reason; workers take no new job while it is set."""

from __future__ import annotations

from datetime import datetime

import redis
from pydantic import BaseModel
from rq.suspension import is_suspended
from rq.suspension import resume as rq_resume
from rq.suspension import suspend as rq_suspend

from pipeline.models import utcnow

PAUSE_KEY = "pl:pause"


class PauseState(BaseModel):
    """Whether the line is paused, why and since when."""

    paused: bool
    reason: str | None = None
    since: datetime | None = None
    by: str | None = None


def pause(conn: redis.Redis, reason: str, by: str = "operator") -> None:
    """Stop every worker from starting new jobs. Queued and scheduled jobs stay where they are."""
    with conn.pipeline(transaction=True) as pipe:
        rq_suspend(pipe)
        pipe.hset(PAUSE_KEY, mapping={"reason": reason, "since": utcnow().isoformat(), "by": by})
        pipe.execute()


def resume(conn: redis.Redis) -> None:
    """Let workers take jobs again."""
    with conn.pipeline(transaction=True) as pipe:
        rq_resume(pipe)
        pipe.delete(PAUSE_KEY)
        pipe.execute()


def state(conn: redis.Redis) -> PauseState:
    """Current pause state; RQ's flag is the truth, our hash adds the reason."""
    paused = bool(is_suspended(conn))
    info = {k.decode(): v.decode() for k, v in conn.hgetall(PAUSE_KEY).items()}  # type: ignore[union-attr]
    if not paused:
        return PauseState(paused=False)
    return PauseState(
        paused=True,
        reason=info.get("reason", "suspended outside the pipeline (rq suspend)"),
        since=info.get("since"),
        by=info.get("by"),
    )
