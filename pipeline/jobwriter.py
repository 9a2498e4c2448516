"""Writing many stage jobs the way RQ writes them, without building an RQ `Job` object per job.

Ingest enqueues thousands of scrape jobs a second; RQ's `enqueue_many` spends most of its time
constructing `Job` objects and sends three commands per job. Every job of one stage differs only in
its id, its pickled arguments, its description and its jittered retry intervals, so `JobWriter`
asks RQ itself to build one probe job (never sent), keeps RQ's own field mapping as a template,
and per job sends exactly those four values: one `HSET` and one `RPUSH` per job, the fields every
job shares added on the server (`atomic.pack_queued`), so ingest creates only the jobs of leads that
turn out to be new; a stage's commit writes its one next job whole (`enqueue_one`), skipping RQ's
`Job` there too. The result is byte-for-byte the hash RQ would write (checked against the probe
when the writer is made, and in the tests), so RQ workers, `rq info` and rq-dashboard treat the jobs as their own. If a
future RQ writes something the template does not understand, the writer refuses to be made and the
caller falls back to `enqueue_many`.
"""

from __future__ import annotations

import zlib
from typing import Any

import redis
from redis.client import Pipeline
from rq.serializers import resolve_serializer
from rq.utils import now, utcformat

from pipeline import queues
from pipeline.models import Stage
from pipeline.settings import Settings

PER_JOB = frozenset({"data", "description", "retry_intervals", "created_at", "enqueued_at"})


class TemplateMismatch(RuntimeError):
    """RQ wrote the probe job differently from what the writer knows how to reproduce."""


class JobWriter:
    """Writes jobs of one stage as RQ's `enqueue_many` would (see the module docstring)."""

    def __init__(self, conn: redis.Redis, stage: Stage, settings: Settings) -> None:
        self.stage, self.settings = stage, settings
        self.queue = queues.stage_queue(conn, stage)
        self._serializer = resolve_serializer(None)
        probe_pipe = conn.pipeline(transaction=False)
        self.queue.enqueue_many([queues.job_data(stage, "probe", 1, settings)], pipeline=probe_pipe)
        commands = [list(args) for args, _ in probe_pipe.command_stack]
        probe_pipe.reset()
        self.template = self._template_from(commands)
        self._shared = {name: value for name, value in self.template.items() if name not in PER_JOB}
        params = queues.retry_params(stage, settings)
        self._retry = params if params[0] > 0 else None

    def _template_from(self, commands: list[list[Any]]) -> dict[str, Any]:
        """RQ's field mapping of the probe job, checked to be reproducible."""
        job_key = f"{self.queue.job_class.redis_job_namespace_prefix}{queues.job_id('probe', self.stage, 1)}"
        hsets = [c for c in commands if c[0] == "HSET" and c[1] == job_key and len(c) > 4]
        if len(hsets) != 1:
            raise TemplateMismatch(f"expected one full HSET of the probe job, got {commands!r:.300}")
        flat = hsets[0][2:]
        mapping = dict(zip(flat[0::2], flat[1::2], strict=True))
        if mapping.get("data") != self._data("probe", 1):
            raise TemplateMismatch("the probe job's pickled arguments differ from ours")
        if mapping.get("description") != queues.job_description(self.stage, "probe", 1):
            raise TemplateMismatch("the probe job's description differs from ours")
        return mapping

    def _data(self, key: str, generation: int) -> bytes:
        job_tuple: tuple[Any, ...] = (queues.JOB_FUNC, None, (key, self.stage.value, generation), {})
        return zlib.compress(self._serializer.dumps(job_tuple))

    def register(self, pipe: Pipeline) -> None:
        """Add the queue to RQ's set of queues (once per batch is enough)."""
        pipe.sadd(self.queue.redis_queues_keys, self.queue.key)

    def shared_fields(self) -> list[Any]:
        """The template's fields that every job of the stage has in common, flat (name, value, ...)."""
        return [item for name, value in self._shared.items() for item in (name, value)]

    def job_fields(self, key: str, generation: int, stamp: str) -> dict[Any, Any]:
        """A job's own fields (`PER_JOB`); `stamp` is `utcformat(now())`. Pure: ingest computes them
        in its row-checking process."""
        mapping: dict[Any, Any] = {"created_at": stamp, "enqueued_at": stamp}
        mapping["data"] = self._data(key, generation)
        mapping["description"] = queues.job_description(self.stage, key, generation)
        if self._retry is not None:  # freshly jittered for every job
            # what RQ's json.dumps writes for a list of ints, at a fraction of its cost
            mapping["retry_intervals"] = "[" + ", ".join(map(str, queues.retry_intervals(*self._retry))) + "]"
        return mapping

    def job_hash(self, key: str, generation: int, stamp: str) -> tuple[str, str, list[Any]]:
        """A job's hash key, id and own hash items (name, value, ...; `job_fields`), for writers that
        add `shared_fields()` themselves (`atomic.pack_queued`)."""
        hash_key, jid = self._keys(key, generation)
        return hash_key, jid, [item for pair in self.job_fields(key, generation, stamp).items() for item in pair]

    def write_full(self, pipe: Pipeline, key: str, generation: int) -> None:
        """Add one job to `pipe` with every field RQ writes, its queue registered: what
        `queues.enqueue` records for one job, without building RQ's `Job` (a stage's commit)."""
        self.register(pipe)
        self._write(pipe, key, generation, self._shared | self.job_fields(key, generation, utcformat(now())))

    def _write(self, pipe: Pipeline, key: str, generation: int, mapping: dict[Any, Any]) -> None:
        hash_key, jid = self._keys(key, generation)
        pipe.hset(hash_key, mapping=mapping)
        pipe.rpush(self.queue.key, jid)

    def _keys(self, key: str, generation: int) -> tuple[str, str]:
        """The job's hash key and id."""
        jid = queues.job_id(key, self.stage, generation)
        return f"{self.queue.job_class.redis_job_namespace_prefix}{jid}", jid


_WRITERS: dict[Stage, JobWriter] = {}


def enqueue_one(conn: redis.Redis, stage: Stage, key: str, generation: int, settings: Settings, pipe: Pipeline) -> None:
    """Record one stage job on `pipe` as `queues.enqueue` would, through a writer kept for the
    process (a worker enqueues the next stage of every lead it finishes: RQ's `Job` costs more
    than the rest of the commit). RQ's own enqueue when the writer cannot reproduce RQ's job."""
    writer = _WRITERS.get(stage)
    if writer is None or writer.settings is not settings:
        try:
            writer = _WRITERS[stage] = JobWriter(conn, stage, settings)
        except TemplateMismatch:
            queues.enqueue(conn, stage, [(key, generation)], settings, pipe)
            return
    writer.write_full(pipe, key, generation)
