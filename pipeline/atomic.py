"""Apply a batch of Redis writes atomically in one round trip: one Lua call instead of MULTI/EXEC.

The writes are recorded on a redis-py pipeline that is never executed (`recorder`), so every helper
that takes a `pipe` (`Store.save`, `metrics.count_job`, RQ's `enqueue_many`, ...) records into it
unchanged. `apply` ships the recorded commands as the arguments of one script, which runs them in
order; Redis runs a script without interleaving other clients, as it runs a transaction. Only one
reply comes back, instead of one per command (most of a small transaction's client-side cost).

With a `guard`, the script first checks that the lead record is still at a generation, stage and
state (read from its stored JSON) and writes nothing when it is not: a compare-and-set that replaces
WATCH/GET/MULTI/EXEC, three round trips, by one. A connection error means the outcome is unknown,
exactly as for a lost EXEC reply: the caller re-reads the lead to tell.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import redis
from redis.client import Pipeline

_APPLY = """
if ARGV[1] ~= '' then
  local raw = redis.call('GET', KEYS[1])
  if not raw then return 0 end
  local rec = cjson.decode(raw)
  if tostring(rec['generation']) ~= ARGV[1] or rec['stage'] ~= ARGV[2] or rec['state'] ~= ARGV[3] then
    return 0
  end
end
local i = 4
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1
"""


class Guard(NamedTuple):
    """Write only while the lead record at `lead_key` has this generation, stage and state."""

    lead_key: str
    generation: int
    stage: str
    state: str


def recorder(conn: redis.Redis) -> Pipeline:
    """A pipeline to record writes on; hand it to `apply`, never execute it."""
    return conn.pipeline(transaction=False)


def apply(conn: redis.Redis, pipe: Pipeline, guard: Guard | None = None) -> bool:
    """Run the commands recorded on `pipe` atomically in one round trip; False when the guard
    did not hold (nothing was written). The recorder is emptied either way."""
    args: list[Any] = [str(guard.generation), guard.stage, guard.state] if guard else ["", "", ""]
    for command, _options in pipe.command_stack:
        args.append(len(command))
        args.extend(command)
    pipe.reset()
    keys = [guard.lead_key] if guard else ["-"]
    return bool(conn.register_script(_APPLY)(keys=keys, args=args))
