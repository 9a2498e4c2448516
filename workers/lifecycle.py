"""What keeps a worker process well-behaved around Redis and RQ's scheduler.

- `wait_for_redis`: a worker started before Redis answers waits with backoff (one log line per
  attempt) instead of exiting, so the Procfile starts in any order.
- `free_stale_scheduler_locks`: RQ gives the scheduler of a queue to whoever holds
  `rq:scheduler-lock:<queue>` (TTL 61 s, refreshed every second by a live scheduler). A lock left by
  a killed process would block scheduling (retries!) until it expires, and RQ only tries again after
  its maintenance interval. A lock is stale when its holder is a dead process on this host, or when
  nobody refreshed it for `STALE_AFTER_S`; it is then deleted, atomically and only if unchanged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import cast

import redis
from rq.scheduler import RQScheduler

log = logging.getLogger("workers.lifecycle")

LOCK_TTL_S = 61  # RQ: scheduler interval (1 s) + 60
STALE_AFTER_S = 10  # a live scheduler refreshes its lock every second or so
SCHEDULER_KEY = "rq:scheduler:{}"
_DELETE_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def wait_for_redis(
    conn: redis.Redis, where: str, stop: threading.Event, *, first_s: float = 0.5, max_s: float = 10.0
) -> bool:
    """Ping until Redis answers; one log line per failed attempt, delays doubling up to `max_s`.
    False when `stop` was set while waiting (a signal: exit cleanly)."""
    delay, attempt = first_s, 0
    while not stop.is_set():
        try:
            conn.ping()
            if attempt:
                log.info("Redis at %s answers after %d attempt(s)", where, attempt + 1)
            return True
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            attempt += 1
            log.warning("waiting for Redis at %s (attempt %d, next in %.1fs): %s", where, attempt, delay, exc)
        stop.wait(delay)
        delay = min(delay * 2, max_s)
    return False


def _alive_here(holder: dict[bytes, bytes]) -> bool | None:
    """Whether the holder's process is alive, when it ran on this host (None: cannot tell)."""
    if holder.get(b"hostname", b"").decode() != socket.gethostname():
        return None
    try:
        pid = int(holder.get(b"pid", b"0"))
        if pid <= 0:
            return None
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return None
    return True


def stale_reason(conn: redis.Redis, queue_name: str) -> str | None:
    """Why the scheduler lock of `queue_name` is stale, or None (free, or held by a live scheduler)."""
    key = RQScheduler.get_locking_key(queue_name)
    name = cast("bytes | None", conn.get(key))
    if name is None:
        return None
    holder = cast("dict[bytes, bytes]", conn.hgetall(SCHEDULER_KEY.format(name.decode())))
    if holder and _alive_here(holder) is False:
        return f"holder pid {holder[b'pid'].decode()} on this host is dead"
    ttl = int(conn.ttl(key))
    if ttl >= 0 and LOCK_TTL_S - ttl > STALE_AFTER_S:
        return f"not refreshed for {LOCK_TTL_S - ttl}s"
    return None


def free_stale_scheduler_locks(conn: redis.Redis, queue_names: list[str]) -> list[str]:
    """Delete the stale scheduler locks of these queues; the queue names freed."""
    freed = []
    for queue_name in queue_names:
        reason = stale_reason(conn, queue_name)
        if reason is None:
            continue
        key = RQScheduler.get_locking_key(queue_name)
        name = conn.get(key)
        if name is not None and conn.eval(_DELETE_IF_UNCHANGED, 1, key, name):
            log.warning("scheduler lock of %s was stale (%s): freed", queue_name, reason)
            freed.append(queue_name)
    return freed


def scheduler_running(conn: redis.Redis, queue_name: str) -> bool:
    """A live scheduler holds this queue's lock (what `pipeline status` reports)."""
    return conn.exists(RQScheduler.get_locking_key(queue_name)) == 1 and stale_reason(conn, queue_name) is None
