"""The send throttle shared by every worker on every host: one Lua script in Redis.

Each limit is a sliding window of length W holding at most N sends (a sorted set of send times):
a token taken at time t comes back at t + W. The script checks every limit (per window, per day, per
recipient domain) against Redis's own clock and either takes a token from all of them at once or
takes none and answers how long until all have one free. So in any window of W seconds at most N
emails leave, whatever the number of workers. The same lead asking again (a retry after a 4xx)
reuses its token instead of taking a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from pipeline.store import PREFIX

# KEYS: one sorted set per limit. ARGV: member, then (cap, window_ms) per key.
# Returns 0 when granted, else the milliseconds until every limit has a free token.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local wait = 0
local held = 0
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZSCORE', key, member) then
    held = held + 1
  else
    local count = redis.call('ZCARD', key)
    if count >= cap then
      local oldest = redis.call('ZRANGE', key, count - cap, count - cap, 'WITHSCORES')
      local free_at = tonumber(oldest[2]) + window
      if cap <= 0 then free_at = now + window end
      if free_at - now > wait then wait = free_at - now end
    end
  end
end
if held == #KEYS then return 0 end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
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


class Throttle:
    """Takes send tokens from a set of limits atomically (one EVALSHA per attempt)."""

    def __init__(self, conn: redis.Redis) -> None:
        self.conn = conn
        self._script = conn.register_script(_SCRIPT)

    def acquire(self, member: str, limits: list[Limit]) -> float:
        """0.0 when a token was taken from every limit (or `member` already holds them), else the
        seconds to wait before asking again; nothing is taken then."""
        args: list[str | int] = [member]
        for limit in limits:
            args += [limit.cap, int(limit.window_s * 1000)]
        waited = self._script(keys=[_key(limit.name) for limit in limits], args=args)
        return int(waited) / 1000.0

    def used(self, limit: Limit) -> int:
        """Tokens of a limit currently taken (status and tests)."""
        key = _key(limit.name)
        t = self.conn.time()
        now_ms = int(t[0]) * 1000 + int(t[1]) // 1000
        return int(self.conn.zcount(key, now_ms - int(limit.window_s * 1000) + 1, "+inf"))
