"""Where gate results live so that any host can read them: Redis, with a TTL.

Keys (under `pl:qa:`):
    pl:qa:shot:<lead>:<view>   WebP screenshot of a lead's site (desktop, mobile) or its own site (prospect)
    pl:qa:links:<run>          hash: external link → cached verdict, for one run
    pl:qa:run:<run>            hash: leads checked / failed in a run (the gate breaker)
The gate report itself is the qa stage's output (`Store.put_output`).
"""

from __future__ import annotations

import redis

from pipeline import control
from pipeline.settings import Settings

PREFIX = "pl:qa:"
EMAIL_STAGE = "email"


def shot_key(lead: str, view: str) -> str:
    """Redis key of one screenshot of a lead."""
    return f"{PREFIX}shot:{lead}:{view}"


def save_screenshots(conn: redis.Redis, lead: str, shots: dict[str, bytes], ttl_s: int) -> dict[str, str]:
    """Store screenshots (view → WebP bytes); returns view → key."""
    keys = {view: shot_key(lead, view) for view in shots}
    with conn.pipeline(transaction=False) as pipe:
        for view, data in shots.items():
            pipe.set(keys[view], data, ex=ttl_s)
        pipe.execute()
    return keys


def load_screenshot(conn: redis.Redis, lead: str, view: str) -> bytes | None:
    """One stored screenshot, None when absent or expired."""
    data = conn.get(shot_key(lead, view))
    return bytes(data) if data else None  # type: ignore[arg-type]


class RedisLinkCache:
    """External link verdicts of one run, shared by every qa worker (a `links.LinkCache`)."""

    def __init__(self, conn: redis.Redis, run_id: str, ttl_s: int = 86400) -> None:
        self.conn, self.key, self.ttl_s = conn, f"{PREFIX}links:{run_id}", ttl_s

    def get(self, url: str) -> str | None:
        """A cached verdict (JSON), or None."""
        value = self.conn.hget(self.key, url)
        return value.decode() if value else None  # type: ignore[union-attr]

    def put(self, url: str, value: str) -> None:
        """Remember a verdict for the rest of the run."""
        with self.conn.pipeline(transaction=False) as pipe:
            pipe.hset(self.key, url, value)
            pipe.expire(self.key, self.ttl_s)
            pipe.execute()


def record_outcome(conn: redis.Redis, settings: Settings, run_id: str, failed: bool) -> str | None:
    """Count a lead's gate outcome in its run; when the run's failure share passes the limit (after
    `qa_breaker_min_leads`), pause the email stage: a systemic problem, not a bad prospect.
    Returns the pause reason when this call tripped the breaker."""
    key = f"{PREFIX}run:{run_id}"
    with conn.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "checked", 1)
        pipe.hincrby(key, "failed", 1 if failed else 0)
        pipe.expire(key, settings.output_ttl_s)
        checked, failures, _ = pipe.execute()
    if checked < settings.qa_breaker_min_leads or failures / checked <= settings.qa_breaker_fail_ratio:
        return None
    reason = (
        f"gate breaker: {failures} of {checked} leads of run {run_id} failed the quality gates "
        f"(limit {settings.qa_breaker_fail_ratio:.0%})"
    )
    return reason if control.pause_stage(conn, EMAIL_STAGE, reason, by="gate breaker") else None


def run_counts(conn: redis.Redis, run_id: str) -> dict[str, int]:
    """Leads checked and failed by the gates in a run."""
    raw = conn.hgetall(f"{PREFIX}run:{run_id}")
    return {k.decode(): int(v) for k, v in raw.items()}  # type: ignore[union-attr]
