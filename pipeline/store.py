"""The lead store in Redis: lead records, state index, stage outputs, run records.

Keys (all under `pl:`):
    pl:lead:<key>            JSON LeadRecord
    pl:state:<state>         set of lead keys in that state
    pl:out:<key>:<stage>     zlib-compressed JSON stage output, with a TTL
    pl:run:<run_id>          JSON RunRecord;  pl:run:<run_id>:leads  set of its lead keys
    pl:runs                  sorted set of run ids by start time
    pl:send:<key>            the email send guard: "in-progress <msg-id>" or "sent <result>"
    pl:trail:<key>           the lead's event trail: a capped stream of StageEvent JSON
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import redis
from pydantic import BaseModel
from redis.client import Pipeline

from pipeline import atomic
from pipeline.models import LeadRecord, LeadState, RunRecord, Stage, StageEvent

M = TypeVar("M", bound=BaseModel)
Conn = redis.Redis | Pipeline

PREFIX = "pl:"


def lead_key(key: str) -> str:
    """Redis key of a lead record."""
    return f"{PREFIX}lead:{key}"


def state_key(state: LeadState | str) -> str:
    """Redis key of the set of leads in a state."""
    return f"{PREFIX}state:{state}"


def output_key(key: str, stage: Stage | str) -> str:
    """Redis key of a stage's output for a lead."""
    return f"{PREFIX}out:{key}:{stage}"


def guard_key(key: str) -> str:
    """Redis key of a lead's email send guard (see `pipeline.stages.email`)."""
    return f"{PREFIX}send:{key}"


def trail_key(key: str) -> str:
    """Redis key of a lead's event trail (a capped stream)."""
    return f"{PREFIX}trail:{key}"


def run_key(run_id: str) -> str:
    """Redis key of a run record."""
    return f"{PREFIX}run:{run_id}"


def run_leads_key(run_id: str) -> str:
    """The set of the lead keys a run brought in."""
    return f"{run_key(run_id)}:leads"


class Store:
    """Typed access to the pipeline's Redis keys. Writes accept a pipeline to join a transaction."""

    def __init__(self, conn: redis.Redis, output_ttl_s: int = 30 * 86400, trail_max_events: int = 200) -> None:
        self.conn = conn
        self.output_ttl_s = output_ttl_s
        self.trail_max_events = trail_max_events

    # --- leads -------------------------------------------------------------------------------
    def get(self, key: str) -> LeadRecord | None:
        """Load a lead record, None when unknown."""
        raw = self.conn.get(lead_key(key))
        return LeadRecord.model_validate_json(raw) if raw else None

    def save(
        self, record: LeadRecord, pipe: Conn | None = None, *, new: bool = False, previous: LeadState | None = None
    ) -> None:
        """Write a lead record and keep the state index in step. `new`: a record never saved before
        is in no other state's set, so none needs cleaning; `previous`: the state the stored record
        is known to be in (a guarded commit checked it), the only set to clean."""
        if pipe is None:  # one atomic round trip (see `pipeline.atomic`)
            own = atomic.recorder(self.conn)
            self.save(record, own, new=new, previous=previous)
            atomic.apply(self.conn, own)
            return
        # a bare SET: redis-py's `set` spends more on its option handling than the command costs
        pipe.execute_command("SET", lead_key(record.key), record.model_dump_json())  # type: ignore[no-untyped-call]
        if not new:
            for state in LeadState if previous is None else (previous,):
                if state != record.state:
                    pipe.srem(state_key(state), record.key)
        pipe.sadd(state_key(record.state), record.key)
        self._append_trail(record, pipe)

    def _append_trail(self, record: LeadRecord, pipe: Conn) -> None:
        """Append the events noted since the last save to the lead's capped trail."""
        if not record.history:
            return
        tkey = trail_key(record.key)
        for ev in record.history:
            pipe.xadd(
                tkey, {"e": ev.model_dump_json(exclude_none=True)}, maxlen=self.trail_max_events, approximate=True
            )
        pipe.expire(tkey, self.output_ttl_s)
        record.history = []

    def trail(self, key: str, last: int | None = None) -> list[StageEvent]:
        """A lead's events, oldest first (the newest `last` when given)."""
        if last:
            newest: Any = self.conn.xrevrange(trail_key(key), count=last)
            rows: Any = list(reversed(newest))
        else:
            rows = self.conn.xrange(trail_key(key))
        return [StageEvent.model_validate_json(fields[b"e"]) for _id, fields in rows]

    def keys_in_state(self, state: LeadState) -> set[str]:
        """Lead keys currently in a state."""
        return {m.decode() for m in self.conn.smembers(state_key(state))}  # type: ignore[union-attr]

    def counts_by_state(self) -> dict[LeadState, int]:
        """Number of leads in every state."""
        p = self.conn.pipeline(transaction=False)
        for state in LeadState:
            p.scard(state_key(state))
        return dict(zip(LeadState, p.execute(), strict=True))

    def iter_leads(self, keys: Iterable[str]) -> Iterator[LeadRecord]:
        """Records of these keys (missing ones skipped), fetched in batches."""
        batch: list[str] = []
        for k in keys:
            batch.append(k)
            if len(batch) == 500:
                yield from self._mget(batch)
                batch = []
        if batch:
            yield from self._mget(batch)

    def _mget(self, keys: list[str]) -> Iterator[LeadRecord]:
        for raw in self.conn.mget([lead_key(k) for k in keys]):
            if raw:
                yield LeadRecord.model_validate_json(raw)

    # --- stage outputs ------------------------------------------------------------------------
    def put_output(self, key: str, stage: Stage, output: BaseModel, pipe: Conn | None = None) -> None:
        """Store a stage output, compressed, with the output TTL."""
        data = zlib.compress(output.model_dump_json().encode(), 6)
        (pipe if pipe is not None else self.conn).set(output_key(key, stage), data, ex=self.output_ttl_s)

    def has_output(self, key: str, stage: Stage) -> bool:
        """Whether a stage output for the lead is still stored."""
        return bool(self.conn.exists(output_key(key, stage)))

    def get_output(self, key: str, stage: Stage, model: type[M]) -> M | None:
        """Load a stage output, None when missing or expired."""
        raw = self.conn.get(output_key(key, stage))
        return model.model_validate_json(zlib.decompress(raw)) if raw else None  # type: ignore[arg-type]

    # --- runs --------------------------------------------------------------------------------
    def save_run(self, run: RunRecord, pipe: Conn | None = None) -> None:
        """Write a run record and index it by start time."""
        p = pipe if pipe is not None else self.conn
        p.set(run_key(run.run_id), run.model_dump_json())
        p.zadd(f"{PREFIX}runs", {run.run_id: run.started_at.timestamp()})

    def get_run(self, run_id: str) -> RunRecord | None:
        """Load a run record."""
        raw = self.conn.get(run_key(run_id))
        return RunRecord.model_validate_json(raw) if raw else None

    def add_run_leads(self, run_id: str, keys: list[str], pipe: Conn) -> None:
        """Remember which leads a run brought in."""
        if keys:
            pipe.sadd(run_leads_key(run_id), *keys)

    def run_leads(self, run_id: str) -> set[str]:
        """Lead keys a run brought in."""
        return {m.decode() for m in self.conn.smembers(run_leads_key(run_id))}  # type: ignore[union-attr]

    def latest_runs(self, n: int = 10) -> list[str]:
        """Newest run ids first."""
        return [r.decode() for r in self.conn.zrevrange(f"{PREFIX}runs", 0, n - 1)]  # type: ignore[union-attr]
