"""The circuit breaker: a stage that keeps failing is paused (or the whole line, by setting) and the
operators are alerted, before a systemic fault (SMTP credentials revoked, a full disk, a broken
theme) burns through every lead's retries and fills the dead-letter queue.

Every finished job attempt of a stage is an outcome: success (the stage's output committed, a hold
included: holds are a verdict on one lead, not on the stage) or failure (any failed attempt,
retried or not). The breaker trips on `breaker_consecutive` failures in a row, or when at least
`breaker_failure_rate` of the last `breaker_window` outcomes failed (once the window is full).
`pipeline resume` clears it. State lives in Redis, so it holds across every worker host.
"""

from __future__ import annotations

import logging

import redis

from pipeline import control, metrics
from pipeline.alerts import Alerter
from pipeline.settings import Settings
from pipeline.store import PREFIX, Conn

log = logging.getLogger("pipeline.breaker")


def _keys(stage: str) -> tuple[str, str]:
    return f"{PREFIX}breaker:{stage}:consecutive", f"{PREFIX}breaker:{stage}:window"


def record_success(pipe: Conn, stage: str, settings: Settings) -> None:
    """Count a successful attempt (inside the caller's transaction)."""
    consecutive, window = _keys(stage)
    pipe.set(consecutive, 0)
    pipe.lpush(window, 0)
    pipe.ltrim(window, 0, settings.breaker_window - 1)


def record_failure(conn: redis.Redis, stage: str, settings: Settings, error: str) -> bool:
    """Count a failed attempt; trip the breaker when the stage looks broken. True when it tripped."""
    consecutive, window = _keys(stage)
    with conn.pipeline(transaction=True) as pipe:
        pipe.incr(consecutive)
        pipe.lpush(window, 1)
        pipe.ltrim(window, 0, settings.breaker_window - 1)
        pipe.lrange(window, 0, -1)
        in_a_row, _, _, outcomes = pipe.execute()
    failed = sum(int(o) for o in outcomes)
    rate = failed / len(outcomes) if outcomes else 0.0
    reason = None
    if settings.breaker_consecutive and in_a_row >= settings.breaker_consecutive:
        reason = f"{in_a_row} failures in a row"
    elif len(outcomes) >= settings.breaker_window and rate >= settings.breaker_failure_rate:
        reason = f"{failed} of the last {len(outcomes)} attempts failed"
    if reason is None:
        return False
    return trip(conn, stage, settings, f"circuit breaker: {reason} (last: {error[:200]})")


def trip(conn: redis.Redis, stage: str, settings: Settings, reason: str) -> bool:
    """Pause the stage (or the line) and alert; False when it was already paused."""
    if settings.breaker_scope == "line":
        if control.state(conn).paused:
            return False
        control.pause(conn, f"{stage}: {reason}", by="breaker")
    elif not control.pause_stage(conn, stage, reason, by="breaker"):
        return False
    reset(conn, stage)
    metrics.count_event(conn, "breaker", stage)
    log.error("breaker tripped, %s paused: %s", "line" if settings.breaker_scope == "line" else stage, reason)
    Alerter(conn, settings).fire(f"breaker:{stage}", f"stage {stage} paused by the circuit breaker: {reason}")
    return True


def reset(conn: redis.Redis, stage: str) -> None:
    """Forget a stage's outcomes (after a trip, so a resume starts with a clean slate)."""
    conn.delete(*_keys(stage))
