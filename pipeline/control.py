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


# --- one stage ---------------------------------------------------------------------------------
# A stage can be paused on its own (the circuit breaker, the visual canary pausing email): workers of
# that stage take no job while the rest of the line runs. `pipeline resume` clears these too.
STAGE_PAUSE_KEY = "pl:pause:stage"


def pause_stage(conn: redis.Redis, stage: str, reason: str, by: str = "operator") -> bool:
    """Pause one stage; False when it was already paused (the first reason is kept)."""
    value = PauseState(paused=True, reason=reason, since=utcnow(), by=by).model_dump_json()
    return bool(conn.hsetnx(STAGE_PAUSE_KEY, stage, value))


def resume_stage(conn: redis.Redis, stage: str | None = None) -> list[str]:
    """Resume one paused stage, or all of them; returns the stages resumed."""
    names = [stage] if stage else [s.decode() for s in conn.hkeys(STAGE_PAUSE_KEY)]  # type: ignore[union-attr]
    return [s for s in names if conn.hdel(STAGE_PAUSE_KEY, s)]


def paused_stages(conn: redis.Redis) -> dict[str, PauseState]:
    """The stages paused on their own, with why and since when."""
    raw = conn.hgetall(STAGE_PAUSE_KEY)
    return {k.decode(): PauseState.model_validate_json(v) for k, v in raw.items()}  # type: ignore[union-attr]


def stage_paused(conn: redis.Redis, stage: str) -> bool:
    """Whether this stage is paused on its own."""
    return bool(conn.hexists(STAGE_PAUSE_KEY, stage))
