"""New leads as ingest writes them: each one's record and scrape job, written a batch at a time.

Ingest validates a big file's rows in a second process (`pipeline.rowcheck`) and hands each valid
lead to `new_lead` there, so what crosses to the parent is a few strings, not the lead; the parent
adds the job (`queued`), so the two processes share the work about evenly, and packs the batch
(`prepare_batch`) for one atomic write that creates only the leads not already known.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import redis
from rq.utils import utcformat

from pipeline import atomic, suppression
from pipeline.jobwriter import JobWriter
from pipeline.models import LeadInput, LeadRecord, LeadState, Stage, utcnow
from pipeline.settings import Settings
from pipeline.store import Store, lead_key, run_leads_key, state_key


class NewLead(NamedTuple):
    """A valid lead as ingest writes it if it is new: built beside its validation (`new_lead`)."""

    key: str
    email: str
    record: str  # its `LeadRecord`, queued for scrape, as JSON
    stamp: str  # when it was made (`utcformat`)


class RecordJson:
    """The JSON of a new lead's `LeadRecord` in a run, cut from one prototype record: a new record
    differs from another only in its key, lead and times, and building the model cost three times
    what pasting those three into the prototype's text costs. Loaded back, the text is the record
    `LeadRecord(key=..., lead=..., run_id=...)` would have been (tests check it)."""

    _KEY, _TIME = "0" * 16, datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)

    def __init__(self, run_id: str) -> None:
        sample = LeadInput.model_validate({"company": "x", "website": "https://x.example/", "email": "x@x.example"})
        proto = LeadRecord(key=self._KEY, lead=sample, run_id=run_id, created_at=self._TIME, updated_at=self._TIME)
        text, stamp = proto.model_dump_json(), utcformat(self._TIME)
        key_at, lead_json = f'"key":"{self._KEY}"', sample.model_dump_json()
        head, rest = text.split(key_at + ",", 1)
        between, rest = rest.split(lead_json, 1)
        middle, created, tail = rest.split(stamp)
        self._parts = (head + '"key":"', '",' + between, middle, created, tail)
        if head != "{" or text.count(stamp) != 2:
            raise RuntimeError(f"the record's fields moved: {text[:200]}")

    def __call__(self, key: str, lead: LeadInput, stamp: str) -> str:
        """The record of `lead` (`key`), created at `stamp` (`utcformat`)."""
        p = self._parts
        return "".join((p[0], key, p[1], lead.model_dump_json(), p[2], stamp, p[3], stamp, p[4]))


def new_lead(records: RecordJson, lead: LeadInput) -> NewLead:
    """What a new lead's record will be. Runs in the row-checking process, so only these strings
    cross to the parent, not the lead."""
    stamp = utcformat(utcnow())
    return NewLead(lead.key, lead.email, records(lead.key, lead, stamp), stamp)


def queued(jobs: JobWriter, new: NewLead) -> atomic.Queued:
    """A new lead's record with its scrape job, for `atomic.pack_queued`."""
    job_key, job_id, items = jobs.job_hash(new.key, 1, new.stamp)
    return atomic.Queued(lead_key(new.key), new.record, new.key, job_key, job_id, items)


class Written(NamedTuple):
    """What writing one batch did."""

    duplicate: int
    suppressed: int
    enqueued: int
    held: int
    known: list[str]


def write_batch(
    conn: redis.Redis,
    store: Store,
    settings: Settings,
    run_id: str,
    batch: list[LeadInput],
    held: str | None = None,
) -> Written:
    """Create records and scrape jobs for the leads of a batch not already known (`prepare_batch`,
    then its write)."""
    jobs, records = JobWriter(conn, Stage.SCRAPE, settings), RecordJson(run_id)
    return prepare_batch(conn, store, jobs, run_id, [new_lead(records, lead) for lead in batch], held)()


def prepare_batch(
    conn: redis.Redis, store: Store, writer: JobWriter, run_id: str, batch: list[NewLead], held: str | None
) -> Callable[[], Written]:
    """Pack a batch's records and scrape jobs; the returned call writes them atomically in one
    round trip (`atomic.pack_queued`): a lead whose record already exists (an earlier file, a
    concurrent ingest beside cron's) gets nothing written, so no lead is ever enqueued twice. A
    suppressed lead, or every lead of a held run, gets a record in its own state and no job
    (`atomic.pack_new`, its own round trip). The call does I/O only, so a background thread can
    make it while this thread reads on."""
    blocked = suppression.suppressed_among(conn, [new.email for new in batch])
    plain = [i for i, new in enumerate(batch) if new.email not in blocked and not held]
    others = [i for i, new in enumerate(batch) if new.email in blocked or held]
    with_jobs = (
        atomic.pack_queued(
            [queued(writer, batch[i]) for i in plain],
            shared=writer.shared_fields(),
            state_set=state_key(LeadState.QUEUED),
            run_set=run_leads_key(run_id),
            queue=writer.queue.key,
            queues=writer.queue.redis_queues_keys,
        )
        if plain
        else None
    )
    without = _pack_without_job([batch[i] for i in others], conn, store, run_id, blocked, held) if others else None

    def write() -> Written:
        known_at: set[int] = set()
        if with_jobs is not None:
            known_at |= {plain[i] for i in atomic.run_queued(conn, with_jobs)}
        if without is not None:
            known_at |= {others[i] for i in atomic.run_new(conn, without)}
        fresh = [new for i, new in enumerate(batch) if i not in known_at]
        todo = [new for new in fresh if new.email not in blocked]
        return Written(
            duplicate=len(batch) - len(fresh),
            suppressed=len(fresh) - len(todo),
            enqueued=0 if held else len(todo),
            held=len(todo) if held else 0,
            known=[batch[i].key for i in sorted(known_at)],
        )

    return write


def _pack_without_job(
    leads: list[NewLead],
    conn: redis.Redis,
    store: Store,
    run_id: str,
    blocked: dict[str, suppression.Suppression],
    held: str | None,
) -> list[Any]:
    """`atomic.pack_new` groups for leads that end before any job: suppressed, or in a held run."""
    pipe, ends = atomic.recorder(conn), []
    for new in leads:
        record = LeadRecord.model_validate_json(new.record)
        hit = blocked.get(new.email)
        if hit is not None:  # never emailed: it ends here, before any work is done
            record.state, record.last_error = LeadState.SUPPRESSED, f"{hit.kind} {hit.entry} ({hit.reason})"
            record.note("suppressed", record.last_error, Stage.SCRAPE)
        else:  # the run waits for `pipeline runs approve`: nothing is enqueued
            record.state, record.last_error = LeadState.HELD, held
            record.note("held", held or "", Stage.SCRAPE)
        store.save(record, pipe, new=True)  # its first command creates the record: the group's condition
        store.add_run_leads(run_id, [new.key], pipe)
        ends.append(len(pipe))
    return atomic.pack_new(pipe, ends)
