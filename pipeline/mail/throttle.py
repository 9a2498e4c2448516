"""The send throttle shared by every worker on every host: one Lua script in Redis.

Each limit is a sliding window of length W holding at most N sends (a sorted set of send times):
a token taken at time t comes back at t + W. The script checks every limit (per window, per day, per
recipient domain) against Redis's own clock and either takes a token from all of them at once or
takes none and answers how long to wait. So in any window of W seconds at most N emails leave,
whatever the number of workers. The same lead asking again (a retry after a 4xx) reuses its token
instead of taking a second one.

The wait is not the same for everyone: each limit also keeps its waiters in the order they were
first refused, and a waiter at position r is told to come back when the next token frees plus r // N
windows. A 5,000-row CSV against a cap of 50 an hour is then woken about 50 at a time, an hour
apart, instead of all 4,950 waiters racing for every token that frees.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from pipeline.store import PREFIX

WAITERS_HORIZON_MS = 8 * 86400 * 1000  # a waiter refused this long ago (an aborted job) is forgotten

# KEYS: the n limit sets, then the n waiter sets. ARGV: member, horizon_ms, then (cap, window_ms) per
# limit. Returns 0 when granted, else the milliseconds this member should wait before asking again.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local horizon = tonumber(ARGV[2])
local n = #KEYS / 2
local wait = 0
local held = 0
for i = 1, n do
  local key = KEYS[i]
  local cap = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZSCORE', key, member) then
    held = held + 1
  else
    local count = redis.call('ZCARD', key)
    if count >= cap then
      local free_at = now + window
      if cap > 0 then
        local oldest = redis.call('ZRANGE', key, count - cap, count - cap, 'WITHSCORES')
        free_at = tonumber(oldest[2]) + window
      end
      local waiters = KEYS[n + i]
      redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now - horizon)
      redis.call('ZADD', waiters, 'NX', now, member)
      redis.call('PEXPIRE', waiters, horizon)
      local rank = redis.call('ZRANK', waiters, member)
      local mine = free_at - now + math.floor(rank / math.max(cap, 1)) * window
      if mine > wait then wait = mine end
    end
  end
end
if held == n then return 0 end
if wait > 0 then return wait end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]))
  redis.call('ZREM', KEYS[n + i], member)
end
return 0
"""


@dataclass(frozen=True)
class Limit:
    """At most `cap` sends in any `window_s` seconds, counted under `name`."""

    name: str
    cap: int
    window_s: float


def _key(name: str) -> str:
    return f"{PREFIX}throttle:{name}"


def _waiters_key(name: str) -> str:
    return f"{PREFIX}throttle-wait:{name}"


class Throttle:
    """Takes send tokens from a set of limits atomically (one EVALSHA per attempt)."""

    def __init__(self, conn: redis.Redis) -> None:
        self.conn = conn
        self._script = conn.register_script(_SCRIPT)

    def acquire(self, member: str, limits: list[Limit]) -> float:
        """0.0 when a token was taken from every limit (or `member` already holds them), else the
        seconds to wait before asking again; nothing is taken then."""
        args: list[str | int] = [member, WAITERS_HORIZON_MS]
        for limit in limits:
            args += [limit.cap, int(limit.window_s * 1000)]
        keys = [_key(limit.name) for limit in limits] + [_waiters_key(limit.name) for limit in limits]
        waited = self._script(keys=keys, args=args)
        return int(waited) / 1000.0

    def used(self, limit: Limit) -> int:
        """Tokens of a limit currently taken (status and tests)."""
        key = _key(limit.name)
        t = self.conn.time()
        now_ms = int(t[0]) * 1000 + int(t[1]) // 1000
        return int(self.conn.zcount(key, now_ms - int(limit.window_s * 1000) + 1, "+inf"))

    def waiting(self, limit: Limit) -> int:
        """Members refused by a limit and not yet granted (status and tests)."""
        return int(self.conn.zcard(_waiters_key(limit.name)))
