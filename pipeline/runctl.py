"""Acting on whole runs: backfill archived CSVs, and abort a run.

Backfill re-ingests the CSVs archived between two dates (`archive/YYYY-MM-DD/`). New leads go in as
in any ingest; leads already known are skipped, unless `rerun`: then a lead that ended `dead` or
`held` starts again from scrape with a new generation (fresh job ids, fresh retries). An `emailed`
lead is rerun only with `reemail` too, and `rejected` (bounced) or `suppressed` leads never are:
nobody is emailed twice by accident. Leads still in flight are left alone.

Abort takes a run's waiting jobs out of their queues and holds its unfinished leads for a person; a
job already running finds its lead changed and does not commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import redis
from pydantic import BaseModel, Field
from rq.job import Job

from pipeline import ingest, queues
from pipeline.errors import InputError
from pipeline.models import LeadRecord, LeadState, Stage
from pipeline.settings import Settings
from pipeline.store import Store, guard_key, lead_key

RERUNNABLE = frozenset({LeadState.DEAD, LeadState.HELD})


class BackfillReport(BaseModel):
    """What one backfill did."""

    files: list[str] = Field(default_factory=list)
    runs: list[str] = Field(default_factory=list)
    enqueued: int = 0
    rerun: int = 0
    skipped_done: int = 0
    skipped_in_flight: int = 0
    rejected_rows: int = 0


def archived_files(archive_dir: Path, since: date, until: date) -> Iterator[Path]:
    """Archived CSVs of the days from `since` to `until` (inclusive), oldest day first."""
    if since > until:
        raise InputError(f"--since {since} is after --until {until}")
    if not archive_dir.is_dir():
        return
    for folder in sorted(archive_dir.iterdir()):
        try:
            day = datetime.strptime(folder.name, "%Y-%m-%d").date()
        except ValueError:
            continue
        if folder.is_dir() and since <= day <= until:
            yield from sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")


def backfill(
    conn: redis.Redis, settings: Settings, since: date, until: date, *, rerun: bool = False, reemail: bool = False
) -> BackfillReport:
    """Re-ingest archived CSVs; with `rerun`, start finished leads again (see the module doc)."""
    report = BackfillReport()
    store = Store(conn, settings.output_ttl_s, settings.trail_max_events)
    for path in archived_files(settings.archive_dir, since, until):
        known: list[str] = []
        done = ingest.ingest_file(path, conn, settings, archive=False, known=known)
        report.files.append(str(path))
        report.runs.append(done.run_id)
        report.enqueued += done.enqueued
        report.rejected_rows += done.rejected
        for key in dict.fromkeys(known):  # a lead named twice in the file is looked at once
            outcome = _rerun_one(conn, store, settings, key, done.run_id, reemail) if rerun else "done"
            if outcome == "rerun":
                report.rerun += 1
            elif outcome == "in flight":
                report.skipped_in_flight += 1
            elif outcome == "done":
                report.skipped_done += 1
    return report


def _rerun_one(
    conn: redis.Redis, store: Store, settings: Settings, key: str, run_id: str, reemail: bool = False
) -> str:
    """Start one finished lead again from scrape, if it may be; returns what happened."""
    with conn.pipeline(transaction=True) as pipe:
        pipe.watch(lead_key(key))  # type: ignore[no-untyped-call]
        raw = pipe.get(lead_key(key))
        record = LeadRecord.model_validate_json(raw) if raw else None
        if record is None:
            return "done"
        if not record.state.terminal:
            return "in flight"
        allowed = record.state in RERUNNABLE or (record.state == LeadState.EMAILED and reemail)
        if not allowed:
            return "done"
        was = record.state
        record.generation += 1
        record.state, record.stage, record.last_error, record.run_id = LeadState.QUEUED, Stage.SCRAPE, None, run_id
        record.attempts = {}
        record.note("rerun", f"backfill run {run_id}; was {was.value}", Stage.SCRAPE)
        pipe.multi()
        store.save(record, pipe)
        store.add_run_leads(run_id, [key], pipe)
        if was == LeadState.EMAILED:
            pipe.delete(guard_key(key))  # an explicit --reemail: this generation may send once more
        queues.enqueue(conn, Stage.SCRAPE, [(key, record.generation)], settings, pipe)
        try:
            pipe.execute()
        except redis.WatchError:
            return "in flight"  # it moved while we looked: leave it to whoever moved it
    return "rerun"


def approve(conn: redis.Redis, settings: Settings, run_id: str, by: str = "operator") -> int:
    """Release a run held for schema drift: its held leads are enqueued; returns how many."""
    store = Store(conn, settings.output_ttl_s, settings.trail_max_events)
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id!r} (see `pipeline runs`)")
    if not run.held:
        raise InputError(f"run {run_id} is not held")
    released = []
    with conn.pipeline(transaction=True) as pipe:
        for record in store.iter_leads(store.run_leads(run_id)):
            if record.state != LeadState.HELD or record.last_error != run.held:
                continue  # held later for its own reason, or already released
            record.state, record.stage, record.last_error = LeadState.QUEUED, Stage.SCRAPE, None
            record.note("approved", f"run released by {by}", Stage.SCRAPE)
            store.save(record, pipe)
            released.append((record.key, record.generation))
        queues.enqueue(conn, Stage.SCRAPE, released, settings, pipe)
        run.held = None
        store.save_run(run, pipe)
        pipe.execute()
    return len(released)


class AbortReport(BaseModel):
    """What aborting a run did."""

    run_id: str
    held: int = 0
    jobs_removed: int = 0
    already_done: int = 0


def abort(conn: redis.Redis, settings: Settings, run_id: str, by: str = "operator") -> AbortReport:
    """Hold every unfinished lead of a run and take its waiting jobs out of the queues."""
    store = Store(conn, settings.output_ttl_s, settings.trail_max_events)
    if store.get_run(run_id) is None:
        raise InputError(f"no run {run_id!r} (see `pipeline runs`)")
    report = AbortReport(run_id=run_id)
    for record in store.iter_leads(store.run_leads(run_id)):
        if record.state.terminal:
            report.already_done += 1
            continue
        jid = queues.job_id(record.key, record.stage, record.generation)
        queue = queues.stage_queue(conn, record.stage)
        removed = int(conn.lrem(queue.key, 0, jid)) + int(conn.zrem(queue.scheduled_job_registry.key, jid))
        if removed:
            Job(jid, connection=conn).delete()
        report.jobs_removed += removed
        record.state, record.last_error = LeadState.HELD, f"run {run_id} aborted by {by}"
        record.note("held", record.last_error)
        store.save(record)
        report.held += 1
    return report
