"""Ingest: a prospects CSV → validated, deduplicated leads, each with a queued scrape job.

Two streaming passes, never the whole file in memory (`pipeline.csvfile`). The first proves the file
is readable at all (encoding, CSV, required columns), so a file that is not enqueues nothing. The
second validates each row (`pipeline.rowcheck`, in a second process for a big file, which also
builds each lead's record: `pipeline.newlead`), writes bad rows to a rejects CSV, drops leads
already seen in this file or already known, and writes the rest with their scrape jobs, one atomic
round trip per batch (`atomic.pack_queued`) with deterministic job ids.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from pydantic import BaseModel

from pipeline import csvfile, drift, newlead, rowcheck
from pipeline.errors import InputError
from pipeline.jobwriter import JobWriter
from pipeline.models import RunRecord, Stage, utcnow
from pipeline.settings import Settings
from pipeline.store import Store

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class IngestReport(BaseModel):
    """What one ingest did. `accepted` counts valid rows; duplicates are among them."""

    run_id: str
    source: str
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    enqueued: int = 0
    suppressed: int = 0
    rejects_file: str | None = None
    archived_to: str | None = None
    encoding: str = "utf-8"
    held: int = 0
    held_reason: str | None = None


def neutralise(cell: str) -> str:
    """Make a cell safe to open in a spreadsheet (no formula injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


class _Rejects:
    """The rejects CSV, opened on the first reject."""

    def __init__(self, path: Path, header_names: list[str]) -> None:
        self.path = path
        self.header_names = header_names
        self._fh: io.TextIOWrapper | None = None
        self._csv: Any = None

    def add(self, row: int, field: str, reason: str, cells: Sequence[str]) -> None:
        """Record one rejected row with its original values (neutralised)."""
        if self._csv is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._csv = csv.writer(self._fh)
            self._csv.writerow(["row", "field", "reason", *[neutralise(h) for h in self.header_names]])
        self._csv.writerow([row, field, neutralise(reason), *[neutralise(c) for c in cells]])

    def close(self) -> str | None:
        """Close the file; its path, or None when nothing was rejected."""
        if self._fh is None:
            return None
        self._fh.close()
        return str(self.path)


def new_run_id(source: Path) -> str:
    """A run id: UTC time plus a short hash of the source name (letters, digits and dashes)."""
    now = utcnow()
    digest = hashlib.sha256(f"{source.resolve()}|{now.isoformat()}".encode()).hexdigest()[:6]
    return f"{now:%Y%m%dT%H%M%S}-{digest}"


def ingest_file(
    path: Path,
    conn: redis.Redis,
    settings: Settings,
    *,
    move: bool = False,
    archive: bool = True,
    known: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest one CSV. Raises InputError (nothing enqueued) when the file cannot be read at all.

    `archive=False` leaves the file where it is (a backfill of an archived file); `known` collects the
    keys of valid rows whose lead already existed (a backfill's candidates for a rerun); `progress` is
    told the number of rows read after every batch (the CLI's progress bar)."""
    header = csvfile.inspect(path, settings.csv_legacy_encoding)
    store = Store(conn, settings.output_ttl_s)
    run = RunRecord(run_id=new_run_id(path), source=str(path), encoding=header.encoding)
    run.deadline = run.started_at + timedelta(seconds=settings.run_sla_s)
    report = IngestReport(run_id=run.run_id, source=str(path), encoding=header.encoding)
    rejects = _Rejects(settings.rejects_dir / f"{run.run_id}-{path.stem}.rejects.csv", header.names)
    context = {"allow_loopback": settings.allow_loopback}
    seen: set[str] = set()
    batch: list[newlead.NewLead] = []
    held = _drift_hold(conn, settings, path, header, context)
    run.held, report.held_reason = held, held
    store.save_run(run)
    jobs = JobWriter(conn, Stage.SCRAPE, settings)
    prepare = functools.partial(newlead.prepare_batch, conn, store, jobs, run.run_id, held=held)
    writer = _BatchWriter(prepare, report, known)
    try:
        new_lead = functools.partial(newlead.new_lead, newlead.RecordJson(run.run_id))
        for checked in rowcheck.checked_rows(header, context, new_lead):
            lead = checked.lead
            if lead is None:
                rejects.add(checked.row, checked.field, checked.reason, checked.cells)
                report.rejected += 1
                continue
            report.accepted += 1
            if lead.key in seen:
                report.duplicate += 1
                continue
            seen.add(lead.key)
            batch.append(lead)
            if len(batch) >= settings.enqueue_batch_size:
                writer.submit(batch)
                # memory stays flat: a repeat of an earlier batch's lead is now a known lead, which
                # the next batch's look-up counts as a duplicate all the same
                batch, seen = [], set()
                if progress is not None:
                    progress(checked.row)
        writer.submit(batch)
    finally:
        writer.close()
        report.rejects_file = rejects.close()
    if archive:
        report.archived_to = str(_archive(path, settings.archive_dir, move=move))
    run.accepted, run.rejected, run.duplicate, run.enqueued = (
        report.accepted,
        report.rejected,
        report.duplicate,
        report.enqueued,
    )
    run.suppressed = report.suppressed
    run.rejects_file = report.rejects_file
    store.save_run(run)
    return report


def _drift_hold(
    conn: redis.Redis, settings: Settings, path: Path, header: csvfile.CsvFile, context: dict[str, Any]
) -> str | None:
    """Profile a sample of the file against earlier files of its inbox: the reason to hold the run,
    or None. An accepted file's profile joins the history."""
    if not settings.drift_check:
        return None
    tally = drift.Tally(header.names, header.columns)
    for i, record in enumerate(csvfile.records(header)):
        if i >= settings.drift_sample_rows:
            break
        tally.add(record.cells, rowcheck.check(record, header, context).lead is None)
    profile, key = tally.profile(), drift.history_key(path)
    reasons = drift.judge(profile, drift.load_history(conn, key), settings)
    if reasons:
        return "schema drift: " + "; ".join(reasons)
    drift.remember(conn, key, profile, settings.drift_history_runs)
    return None


class _BatchWriter:
    """Prepares each batch on the caller's thread and writes it on one background thread, one batch
    at a time and in order, while the caller reads and validates the next one: Redis's work on a
    batch overlaps the CSV work. An error of a write is raised by the next `submit` or by `close`,
    which always waits for the batch in flight."""

    def __init__(
        self,
        prepare: Callable[[list[newlead.NewLead]], Callable[[], newlead.Written]],
        report: IngestReport,
        known: list[str] | None,
    ) -> None:
        self._prepare, self._report, self._known = prepare, report, known
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self._pending: Future[newlead.Written] | None = None

    def submit(self, batch: list[newlead.NewLead]) -> None:
        """Prepare this batch, wait for the one in flight (adding its counts to the report), then
        start writing this one."""
        write = self._prepare(batch) if batch else None
        self._collect()
        if write is not None:
            self._pending = self._pool.submit(write)

    def close(self) -> None:
        """Wait for the batch in flight; stop the thread."""
        try:
            self._collect()
        finally:
            self._pool.shutdown(wait=True)

    def _collect(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        done = pending.result()
        self._report.duplicate += done.duplicate
        self._report.suppressed += done.suppressed
        self._report.enqueued += done.enqueued
        self._report.held += done.held
        if self._known is not None:
            self._known.extend(done.known)


def _archive(path: Path, archive_root: Path, *, move: bool) -> Path:
    """Move (inbox) or copy (a file named on the command line) into `archive/YYYY-MM-DD/`."""
    folder = archive_root / f"{utcnow():%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    if move:
        shutil.move(str(path), target)
    else:
        shutil.copy2(path, target)
    return target


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem.N.suffix` with the first N not taken: nothing is overwritten."""
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def inbox_files(inbox: Path, min_age_s: float = 0.0) -> list[Path]:
    """CSV files waiting in the inbox, oldest first. A file modified less than `min_age_s` ago may
    still be uploading and is left for the next run."""
    if not inbox.is_dir():
        raise InputError(f"{inbox}: no such inbox folder")
    now = time.time()
    files = [
        p
        for p in inbox.iterdir()
        if p.is_file() and p.suffix.lower() == ".csv" and now - p.stat().st_mtime >= min_age_s
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def quarantine(path: Path, inbox: Path, reason: str) -> Path:
    """Move an unreadable inbox file aside (`inbox/failed/`) with a note, so cron does not retry it forever."""
    folder = inbox / "failed"
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)
    target.with_name(target.name + ".why.txt").write_text(reason + "\n", encoding="utf-8")
    return target
