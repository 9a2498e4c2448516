"""One retry budget per site per lead, shared by the fetcher's in-process retries and the stage's
retries (a new `Fetcher` per attempt), so they do not multiply: once `fetch_site_budget` requests
to a host have failed transiently for a lead, the host counts as down and no further request is
sent. A server's `Retry-After` is remembered too, so the next attempt does not knock early.

`MemoryBudget` lives as long as one fetcher (tests, benchmarks); `RedisBudget` keeps the count under
`pl:fetch:<lead>:<generation>:<host>` for a day, across stage attempts and workers; a DLQ requeue
bumps the lead's generation and so gets a fresh budget."""

from __future__ import annotations

import time
from typing import Protocol

import redis

from pipeline.store import PREFIX

_TTL_S = 86400


class SiteBudget(Protocol):
    """Failed requests and Retry-After per host."""

    def failures(self, host: str) -> int:
        """Requests to `host` that failed transiently so far."""
        ...

    def not_before(self, host: str) -> float:
        """Epoch seconds before which `host` asked not to be contacted (0 when it did not)."""
        ...

    def failed(self, host: str, retry_after_s: float | None) -> None:
        """Count one failed request, remembering the server's Retry-After."""
        ...


class MemoryBudget:
    """A budget that lasts as long as the object."""

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}

    def failures(self, host: str) -> int:
        """Failed requests to `host` so far."""
        return self._failures.get(host, 0)

    def not_before(self, host: str) -> float:
        """When `host` may be contacted again (epoch seconds)."""
        return self._not_before.get(host, 0.0)

    def failed(self, host: str, retry_after_s: float | None) -> None:
        """Count a failure."""
        self._failures[host] = self.failures(host) + 1
        if retry_after_s is not None:
            self._not_before[host] = time.time() + retry_after_s


class RedisBudget:
    """A budget per lead kept in Redis, so every attempt of the lead's scrape shares it."""

    def __init__(self, conn: redis.Redis, lead: str) -> None:
        self.conn = conn
        self.lead = lead

    def _key(self, host: str) -> str:
        return f"{PREFIX}fetch:{self.lead}:{host}"

    def failures(self, host: str) -> int:
        """Failed requests to `host` for this lead so far."""
        return int(self.conn.hget(self._key(host), "failed") or 0)

    def not_before(self, host: str) -> float:
        """When `host` may be contacted again for this lead (epoch seconds)."""
        return float(self.conn.hget(self._key(host), "not_before") or 0)

    def failed(self, host: str, retry_after_s: float | None) -> None:
        """Count a failure (atomically, with the key's expiry)."""
        key = self._key(host)
        with self.conn.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, "failed", 1)
            if retry_after_s is not None:
                pipe.hset(key, "not_before", time.time() + retry_after_s)
            pipe.expire(key, _TTL_S)
            pipe.execute()
