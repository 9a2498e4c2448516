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

from collections.abc import Sequence
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


# Groups of commands, each run only when its first command, a SET, creates its key (SET ... NX).
# ARGV: the number of groups; the number of shared hash fields and those fields (name, value, ...),
# which every HSET of a group writes before its own; then each group as its command count followed
# by the commands (each as its argument count and arguments); then the unconditional tail commands.
# Returns the 1-based numbers of the groups whose key existed (nothing of those groups was written).
_APPLY_NEW = """
local nshared = tonumber(ARGV[2])
local shared = {unpack(ARGV, 3, 2 + nshared)}
local i, known = 3 + nshared, {}
for g = 1, tonumber(ARGV[1]) do
  local ncmds = tonumber(ARGV[i])
  i = i + 1
  local run = true
  for c = 1, ncmds do
    local n = tonumber(ARGV[i])
    if c == 1 then
      local args = {unpack(ARGV, i + 1, i + n)}
      args[#args + 1] = 'NX'
      run = redis.call(unpack(args)) ~= false
      if not run then known[#known + 1] = g end
    elseif run and nshared > 0 and ARGV[i + 1] == 'HSET' then
      local args = {'HSET', ARGV[i + 2], unpack(shared)}
      for k = i + 3, i + n do args[#args + 1] = ARGV[k] end
      redis.call(unpack(args))
    elseif run then
      redis.call(unpack(ARGV, i + 1, i + n))
    end
    i = i + n + 1
  end
end
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return known
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
    _flatten(pipe.command_stack, args)
    pipe.reset()
    keys = [guard.lead_key] if guard else ["-"]
    return bool(conn.register_script(_APPLY)(keys=keys, args=args))


def apply_new(conn: redis.Redis, pipe: Pipeline, ends: list[int], shared: Sequence[Any] = ()) -> list[int]:
    """`run_new(pack_new(...))`: see `pack_new`."""
    return run_new(conn, pack_new(pipe, ends, shared))


def pack_new(pipe: Pipeline, ends: list[int], shared: Sequence[Any] = ()) -> list[Any]:
    """Pack records to create atomically in one round trip (`run_new` sends them). The commands
    recorded on `pipe` form groups: group i ends after command `ends[i]` (a count, as `len(pipe)`
    gave it when the group was done); commands after the last group are a tail that always runs.
    Each group's first command is a SET that creates its key, and the group runs only when that key
    does not exist yet (SET NX). `shared` (field, value, ...) is written by every HSET of a group
    before its own fields: what many hashes have in common crosses the wire once. The recorder is
    emptied."""
    stack = pipe.command_stack
    args: list[Any] = [len(ends), len(shared), *shared]
    start = 0
    for end in ends:
        if end <= start or stack[start][0][0] != "SET":
            raise ValueError("every group starts with the SET that creates its key")
        args.append(end - start)
        _flatten(stack[start:end], args)
        start = end
    _flatten(stack[start:], args)
    pipe.reset()
    return args


def run_new(conn: redis.Redis, args: list[Any]) -> list[int]:
    """Send what `pack_new` packed (it may run on another thread: only I/O, no Python work to speak
    of); the indexes of the groups whose key already existed."""
    known = conn.register_script(_APPLY_NEW)(keys=["-"], args=args)
    return [int(g) - 1 for g in known]


def _flatten(stack: Sequence[tuple[Any, Any]], args: list[Any]) -> None:
    """Append recorded commands (a pipeline's `command_stack` entries) to `args`, each as its
    length and arguments."""
    for command, _options in stack:
        args.append(len(command))
        args.extend(command)
