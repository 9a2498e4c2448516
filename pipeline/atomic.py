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
# ARGV: the number of groups; then each group as its command count followed by the commands (each
# as its argument count and arguments); then the unconditional tail commands. Returns the 1-based
# numbers of the groups whose key existed (nothing of those groups was written).
_APPLY_NEW = """
local i, known = 2, {}
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


# New records, each with its job (ingest's common case, `pack_queued`). ARGV: the number of shared
# hash fields and those fields (name, value, ...); the state set, the run's set, the queue and RQ's
# set of queues; then per record its key, JSON, member name, job hash key, job id, number of the
# job's own hash items and those items. A record is written with SET NX; only when that created it
# is its job hash written, its member added to both sets and its job id pushed (one SADD and one
# RPUSH for the whole batch, in order). Returns the 1-based numbers of the records that existed.
_APPLY_QUEUED = """
local nshared = tonumber(ARGV[1])
local hset = {'HSET', ''}
for k = 2, 1 + nshared do hset[#hset + 1] = ARGV[k] end
local base = #hset
local i = 2 + nshared
local state, run, queue, queues = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
i = i + 4
local known, members, ids, g = {}, {}, {}, 0
while i <= #ARGV do
  g = g + 1
  local nown = tonumber(ARGV[i + 5])
  if redis.call('SET', ARGV[i], ARGV[i + 1], 'NX') then
    members[#members + 1] = ARGV[i + 2]
    ids[#ids + 1] = ARGV[i + 4]
    hset[2] = ARGV[i + 3]
    for k = 1, nown do hset[base + k] = ARGV[i + 5 + k] end
    for k = #hset, base + nown + 1, -1 do hset[k] = nil end
    redis.call(unpack(hset))
  else
    known[#known + 1] = g
  end
  i = i + 6 + nown
end
-- in slices: Lua's unpack gives at most a few thousand values at once, and a batch may be bigger
local function add(command, key, values)
  for s = 1, #values, 1000 do redis.call(command, key, unpack(values, s, math.min(s + 999, #values))) end
end
if #members > 0 then
  add('SADD', state, members)
  add('SADD', run, members)
  add('RPUSH', queue, ids)
  redis.call('SADD', queues, queue)
end
return known
"""


class Queued(NamedTuple):
    """A record to create with its job (`pack_queued`): the record's Redis key and JSON, the member
    naming it in the sets, and its job's hash key, id and own hash items (name, value, ...)."""

    key: str
    json: str
    member: str
    job_key: str
    job_id: str
    job_items: Sequence[Any]


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


def pack_new(pipe: Pipeline, ends: list[int]) -> list[Any]:
    """Pack records to create atomically in one round trip (`run_new` sends them). The commands
    recorded on `pipe` form groups: group i ends after command `ends[i]` (a count, as `len(pipe)`
    gave it when the group was done); commands after the last group are a tail that always runs.
    Each group's first command is a SET that creates its key, and the group runs only when that key
    does not exist yet (SET NX). The recorder is emptied."""
    stack = pipe.command_stack
    args: list[Any] = [len(ends)]
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


def pack_queued(
    records: Sequence[Queued], *, shared: Sequence[Any], state_set: str, run_set: str, queue: str, queues: str
) -> list[Any]:
    """Pack new records, each with a queued job, to create atomically in one round trip (`run_queued`
    sends them): a record that already exists gets nothing written, neither record nor job. Its job
    hash gets `shared` (field, value, ...) and then its own items; the members of the records
    created join `state_set` and `run_set`, their job ids are pushed on `queue` in order, and the
    queue joins RQ's set of `queues`. The same writes as `pack_new` with one group per record (SET,
    SADD, SADD, HSET, RPUSH), with half the arguments and two Redis calls per record instead of five."""
    args: list[Any] = [len(shared), *shared, state_set, run_set, queue, queues]
    for r in records:
        args += (r.key, r.json, r.member, r.job_key, r.job_id, len(r.job_items), *r.job_items)
    return args


def run_queued(conn: redis.Redis, args: list[Any]) -> list[int]:
    """Send what `pack_queued` packed (I/O only, as `run_new`); the indexes of the records that
    already existed."""
    known = conn.register_script(_APPLY_QUEUED)(keys=["-"], args=args)
    return [int(g) - 1 for g in known]


def _flatten(stack: Sequence[tuple[Any, Any]], args: list[Any]) -> None:
    """Append recorded commands (a pipeline's `command_stack` entries) to `args`, each as its
    length and arguments."""
    for command, _options in stack:
        args.append(len(command))
        args.extend(command)
