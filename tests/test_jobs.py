"""The job entry's guarantees beyond the happy path: what heals is retried, stale and duplicate
jobs change nothing, a late failure never overwrites a terminal state."""

from __future__ import annotations

import threading
from pathlib import Path

import redis
from rq.job import Job
from rq.timeouts import JobTimeoutException

from pipeline import ingest, jobs, newlead
from pipeline.drain import drain
from pipeline.ingest import IngestReport
from pipeline.models import LeadInput, LeadState, Stage
from pipeline.queues import enqueue, job_id, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, make_settings, write_csv


def _ingest_one(tmp_path: Path, conn: redis.Redis, settings: Settings, url: str) -> str:
    report = ingest.ingest_file(
        write_csv(tmp_path / "a.csv", [lead_row("Bloom", url, "a@bloom.example.com")]), conn, settings
    )
    [key] = Store(conn).run_leads(report.run_id)
    return key


def test_an_os_error_in_a_stage_is_retried_not_dead_lettered_at_once(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, preview_url: str, example_sites: dict[str, str]
) -> None:
    # Given a web root that cannot be written (a file stands where the folder should be)
    (var_dir / "sites").rmdir()
    (var_dir / "sites").write_text("not a folder")
    settings = make_settings(redis_url, var_dir, preview_url, retry_max={"deploy": 2})
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])

    drain(conn, settings, timeout_s=30)

    record = Store(conn).get(key)
    assert record is not None
    assert record.state == LeadState.DEAD and record.stage == Stage.DEPLOY
    assert record.attempts["deploy"] == 3
    assert (record.last_error or "").startswith("TransientError")


def test_a_failure_noticed_after_the_lead_was_emailed_changes_nothing(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])
    drain(conn, settings, timeout_s=30)
    email_job = Job.fetch(job_id(key, Stage.EMAIL, 1), connection=conn)

    jobs.on_job_failure(email_job, conn, JobTimeoutException, JobTimeoutException("late"), None)

    record = Store(conn).get(key)
    assert record is not None and record.state == LeadState.EMAILED
    assert record.last_error is None


def test_a_duplicate_job_of_a_stage_the_lead_has_left_is_skipped(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])
    drain(conn, settings, ["scrape"], timeout_s=30)
    assert stage_queue(conn, Stage.BUILD).count == 1

    enqueue(conn, Stage.SCRAPE, [(key, 1)], settings)  # the same scrape job again
    drain(conn, settings, ["scrape"], timeout_s=30)

    record = Store(conn).get(key)
    assert record is not None
    assert record.attempts["scrape"] == 1
    assert record.state == LeadState.QUEUED and record.stage == Stage.BUILD
    assert stage_queue(conn, Stage.BUILD).job_ids == [job_id(key, Stage.BUILD, 1)]
    assert Job.fetch(job_id(key, Stage.SCRAPE, 1), connection=conn).return_value().startswith("out of order")  # type: ignore[union-attr]


def test_two_ingests_of_the_same_leads_at_once_enqueue_each_lead_once(conn: redis.Redis, settings: Settings) -> None:
    leads = [
        LeadInput.model_validate(
            {"company": f"Shop {i}", "website": f"shop{i}.example.com", "email": f"a@shop{i}.example.com"}, context={}
        )
        for i in range(300)
    ]
    store = Store(conn)
    reports = [IngestReport(run_id=f"r{i}", source="x") for i in range(2)]
    start = threading.Barrier(2)

    def run(report: IngestReport) -> None:
        client = redis.Redis(connection_pool=conn.connection_pool)
        start.wait()
        for i in range(0, 300, 50):  # small batches interleave the two writers
            done = newlead.write_batch(client, Store(client), settings, report.run_id, leads[i : i + 50])
            report.enqueued += done.enqueued
            report.duplicate += done.duplicate

    threads = [threading.Thread(target=run, args=(r,)) for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sum(r.enqueued for r in reports) == 300
    assert sum(r.duplicate for r in reports) == 300
    assert stage_queue(conn, Stage.SCRAPE).count == 300
    assert store.counts_by_state()[LeadState.QUEUED] == 300
