"""`pipeline reconcile`: the lead's state never depends on an RQ callback alone.

A non-terminal lead (queued, running, retrying) must have a live job for its current stage and
generation: queued (in its queue or RQ's intermediate list), scheduled, or started by a worker that
is alive and within its timeout. A lead without one is *stranded* (a lost job, a commit that never
landed, a failure callback that never ran, a worker killed mid-job). Reconcile re-enqueues it with
its deterministic job id, in a transaction that watches the lead and the job (two reconciles at
once, or a worker touching the job, make one of them back off: never two jobs). The email stage's
send guard decides whether a re-run may send. After `reconcile_max` re-enqueues of the same lead
at the same stage, or when its job already failed, the lead is dead-lettered with a clear reason.

Cheap on 100k leads: the state index is scanned (SSCAN), records and job hashes are read in
pipelined batches, each stage's queue/intermediate/schedule is read once; only suspects get a
second, precise look.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import redis
from pydantic import BaseModel
from rq.job import Job, JobStatus
from rq.queue import Queue

from pipeline import queues
from pipeline.models import LeadRecord, LeadState, Stage
from pipeline.settings import Settings
from pipeline.store import Store, lead_key, state_key

ACTIVE_STATES = (LeadState.QUEUED, LeadState.RUNNING, LeadState.RETRYING)
# A job in RQ's intermediate list this long (RQ fails it after 60 s, when its maintenance runs)
INTERMEDIATE_STUCK_S = 120
BATCH = 1000


class Finding(BaseModel):
    """One stranded lead and what reconcile did about it."""

    lead: str
    state: str
    stage: str
    generation: int
    job_id: str
    job_status: str | None
    reason: str
    action: str = ""


class ReconcileReport(BaseModel):
    """What one reconcile pass saw and did."""

    dry_run: bool
    scanned: int = 0
    stranded: int = 0
    requeued: int = 0
    dead_lettered: int = 0
    skipped: int = 0
    seconds: float = 0.0
    findings: list[Finding] = []


class _Lead(BaseModel):
    """The few fields of a stored lead that reconcile needs (parsed without the whole record)."""

    key: str
    state: LeadState
    stage: Stage
    generation: int
    updated_at: datetime


def _scan(conn: redis.Redis, state: LeadState) -> Iterator[list[str]]:
    batch: list[str] = []
    for member in conn.sscan_iter(state_key(state), count=BATCH):
        batch.append(member.decode() if isinstance(member, bytes) else str(member))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(conn: redis.Redis, keys: list[str]) -> list[_Lead]:
    out = []
    for raw in conn.mget([lead_key(k) for k in keys]):
        if raw:
            d = json.loads(raw)
            out.append(_Lead.model_validate({f: d[f] for f in _Lead.model_fields}))
    return out


class _StageSnapshot:
    """Job ids of one stage queue that are waiting: queued, taken (intermediate) or scheduled."""

    def __init__(self, conn: redis.Redis, stage: Stage) -> None:
        q = queues.stage_queue(conn, stage)
        with conn.pipeline(transaction=False) as p:
            p.zrange(q.scheduled_job_registry.key, 0, -1)
            p.lrange(q.key, 0, -1)
            p.lrange(q.intermediate_queue_key, 0, -1)  # after the queue: a job moving on is seen
            raw = p.execute()
        self.waiting = {m.decode() for part in raw for m in part}
        self.taken = {m.decode() for m in raw[2]}


class _Judge:
    """Decides whether a lead's job is alive."""

    def __init__(self, conn: redis.Redis, settings: Settings, now: float, dry_run: bool) -> None:
        self.conn = conn
        self.dry_run = dry_run
        self.settings = settings
        self.now = now
        self.host = socket.gethostname()
        self.snapshots: dict[Stage, _StageSnapshot] = {}
        self.workers: dict[str, bool] = {}

    def waiting(self, stage: Stage) -> set[str]:
        if stage not in self.snapshots:
            self.snapshots[stage] = _StageSnapshot(self.conn, stage)
        return self.snapshots[stage].waiting

    def worker_alive(self, name: str) -> bool:
        """A worker is gone when its key is gone, it recorded its death, or (same host) its pid is."""
        if name not in self.workers:
            pid, host, death = self.conn.hmget(f"rq:worker:{name}", ["pid", "hostname", "death"])
            alive = pid is not None and death is None
            if alive and host is not None and _text(host) == self.host:
                alive = _pid_alive(int(pid))  # type: ignore[arg-type]
            self.workers[name] = alive
        return self.workers[name]

    def verdict(self, lead: _Lead, fields: list[bytes | None]) -> str | None:
        """Why the lead is stranded, or None when its job is alive."""
        status, worker, started_at, timeout = (f.decode() if f else None for f in fields)
        jid = queues.job_id(lead.key, lead.stage, lead.generation)
        if status is None:
            return "its job is gone"
        if status in (JobStatus.QUEUED, JobStatus.SCHEDULED):
            if jid in self.waiting(lead.stage) and jid in self.snapshots[lead.stage].taken:
                return self._taken(lead.stage, jid)
            if jid in self.waiting(lead.stage) or self._waiting_now(lead.stage, jid):
                return None
            return f"its job is {status} but in no queue or schedule"
        if status == JobStatus.STARTED:
            if worker and not self.worker_alive(worker):
                return f"its worker {worker} is gone"
            limit = float(timeout or self.settings.job_timeout_s.get(lead.stage.value, 180))
            if started_at and _ts(started_at) + limit + self.settings.reconcile_grace_s < self.now:
                return f"its job is past its timeout ({limit:.0f} s)"
            return None
        if status == JobStatus.FAILED:
            return "its job failed but the lead was never dead-lettered"
        if status == JobStatus.FINISHED:
            return "its job finished but the lead never moved on (the commit was lost)"
        return f"its job is {status}"

    def _taken(self, stage: Stage, jid: str) -> str | None:
        """A job in RQ's intermediate list was taken by a worker that has not started it yet. RQ's
        maintenance fails it after a minute, but only under a lock that a worker killed while
        cleaning holds for 15 minutes: past `INTERMEDIATE_STUCK_S` since first seen there (RQ's
        own marker, set here when missing), its worker died right after taking it."""
        q = queues.stage_queue(self.conn, stage)
        key = q.intermediate_queue.get_first_seen_key(jid)
        seen = self.conn.get(key)
        if seen is None:
            if not self.dry_run:
                self.conn.set(key, self.now, nx=True, ex=86400)
            return None
        if float(seen) + INTERMEDIATE_STUCK_S < self.now:
            return "its job was taken from the queue by a worker that died before starting it"
        return None

    def _waiting_now(self, stage: Stage, jid: str) -> bool:
        """Precise second look for one suspect (the snapshot may predate a move)."""
        q = queues.stage_queue(self.conn, stage)
        with self.conn.pipeline(transaction=False) as p:
            p.lpos(q.key, jid)
            p.lpos(q.intermediate_queue_key, jid)
            p.zscore(q.scheduled_job_registry.key, jid)
            return any(r is not None for r in p.execute())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC).timestamp()


JOB_FIELDS = ["status", "worker_name", "started_at", "timeout"]


def find_stranded(conn: redis.Redis, settings: Settings, report: ReconcileReport) -> Iterator[tuple[_Lead, Finding]]:
    """Every stranded lead (scanned by state index, job hashes read in pipelined batches)."""
    now = time.time()
    judge = _Judge(conn, settings, now, report.dry_run)
    for state in ACTIVE_STATES:
        for keys in _scan(conn, state):
            leads = [ld for ld in _load(conn, keys) if ld.state == state]
            report.scanned += len(leads)
            leads = [ld for ld in leads if ld.updated_at.timestamp() + settings.reconcile_grace_s < now]
            with conn.pipeline(transaction=False) as p:
                for ld in leads:
                    p.hmget(Job.key_for(queues.job_id(ld.key, ld.stage, ld.generation)), JOB_FIELDS)
                rows = p.execute()
            for ld, fields in zip(leads, rows, strict=True):
                reason = judge.verdict(ld, fields)
                if reason:
                    status = fields[0].decode() if fields[0] else None
                    jid = queues.job_id(ld.key, ld.stage, ld.generation)
                    yield (
                        ld,
                        Finding(
                            lead=ld.key,
                            state=ld.state.value,
                            stage=ld.stage.value,
                            generation=ld.generation,
                            job_id=jid,
                            job_status=status,
                            reason=reason,
                        ),
                    )


def reconcile(conn: redis.Redis, settings: Settings, *, dry_run: bool = False) -> ReconcileReport:
    """Find stranded leads and (unless `dry_run`) re-enqueue or dead-letter each of them."""
    start = time.monotonic()
    report = ReconcileReport(dry_run=dry_run)
    store = Store(conn, settings.output_ttl_s)
    for lead, finding in list(find_stranded(conn, settings, report)):
        report.stranded += 1
        report.findings.append(finding)
        if dry_run:
            dead = finding.job_status == JobStatus.FAILED
            finding.action = "would dead-letter" if dead else "would re-enqueue"
            continue
        finding.action = _repair(conn, store, settings, lead, finding)
        if finding.action == "re-enqueued":
            report.requeued += 1
        elif finding.action == "dead-lettered":
            report.dead_lettered += 1
        else:
            report.skipped += 1
    report.seconds = time.monotonic() - start
    return report


def _repair(conn: redis.Redis, store: Store, settings: Settings, lead: _Lead, finding: Finding) -> str:
    """Re-enqueue or dead-letter one stranded lead, atomically, if nothing moved since it was judged."""
    from pipeline.jobs import COMPENSATED_STAGES, _compensate

    jid = finding.job_id
    q = queues.stage_queue(conn, lead.stage)
    with conn.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(lead_key(lead.key), Job.key_for(jid))  # type: ignore[no-untyped-call]
            raw = pipe.get(lead_key(lead.key))
            record = LeadRecord.model_validate_json(raw) if raw else None
            status = pipe.hget(Job.key_for(jid), "status")
            if (
                record is None
                or (record.state, record.stage, record.generation, record.updated_at)
                != (lead.state, lead.stage, lead.generation, lead.updated_at)
                or (_text(status) if status else None) != finding.job_status
            ):
                return "skipped: it moved meanwhile"
            entries = [_text(m) for m in pipe.zrange(q.started_job_registry.key, 0, -1)]
            started = [m for m in entries if m.startswith(jid + ":")]
            used = record.reconciles.get(lead.stage.value, 0)
            dead = finding.job_status == JobStatus.FAILED or used >= settings.reconcile_max
            pipe.multi()
            if started:
                pipe.zrem(q.started_job_registry.key, *started)
            if dead:
                reason = f"stranded at {lead.stage.value}: {finding.reason}"
                if used >= settings.reconcile_max:
                    reason += f" (after {used} re-enqueues by reconcile)"
                record.state, record.last_error = LeadState.DEAD, f"reconcile: {reason}"
                record.note("dead-lettered", record.last_error, lead.stage)
                _fail_job(conn, q, jid, lead, settings, record.last_error, pipe)
            else:
                record.reconciles[lead.stage.value] = used + 1
                record.state = LeadState.QUEUED
                record.note("reconciled", f"re-enqueued ({used + 1} of {settings.reconcile_max}): {finding.reason}")
                pipe.zrem(q.failed_job_registry.key, jid)
                pipe.zrem(q.finished_job_registry.key, jid)
                pipe.lrem(q.intermediate_queue_key, 0, jid)
                pipe.delete(q.intermediate_queue.get_first_seen_key(jid))
                pipe.lrem(q.key, 0, jid)
                pipe.zrem(q.scheduled_job_registry.key, jid)
                pipe.delete(Job.key_for(jid))
                queues.enqueue(conn, lead.stage, [(lead.key, lead.generation)], settings, pipe)
            store.save(record, pipe)
            pipe.execute()
        except redis.WatchError:
            return "skipped: it moved meanwhile"
    if dead and lead.stage in COMPENSATED_STAGES:
        _compensate(store, record)
        store.save(record)
    return "dead-lettered" if dead else "re-enqueued"


def _fail_job(
    conn: redis.Redis, q: Queue, jid: str, lead: _Lead, settings: Settings, reason: str, pipe: redis.client.Pipeline
) -> None:
    """Put the lead's job in the dead-letter queue (FailedJobRegistry) with `reason`, creating the
    job record when it is gone, so that the DLQ and the dead leads stay the same set."""
    try:
        job = Job.fetch(jid, connection=conn)
    except Exception:  # gone or unreadable: a fresh record of the same job
        job = Job.create(
            queues.JOB_FUNC,
            args=(lead.key, lead.stage.value, lead.generation),
            id=jid,
            connection=conn,
            origin=q.name,
            description=f"{lead.stage.value} {lead.key} g{lead.generation}",
            timeout=settings.job_timeout_s.get(lead.stage.value, 180),
            failure_ttl=settings.failure_ttl_s,
        )
    job.failure_ttl = settings.failure_ttl_s
    job.set_status(JobStatus.FAILED, pipeline=pipe)
    job._handle_failure(reason, pipeline=pipe)  # FailedJobRegistry + a failure Result, like RQ's own
