"""The three paths that used to strand a lead forever (issue 15), each reproduced with real
processes and a real Redis: a commit whose connection drops just before EXEC, a worker killed
right after taking a job, and two drains at once over an abandoned job."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import redis
from rq.job import Job, JobStatus

from pipeline import ingest
from pipeline.drain import drain, pending
from pipeline.models import LeadRecord, LeadState, Stage
from pipeline.queues import all_queues, job_id, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, make_settings, write_csv
from tests.support.doomed import run_doomed
from tests.support.redis_proxy import CutRule, redis_proxy
from tests.support.servers import send_html, serve


def _ingest_one(tmp_path: Path, conn: redis.Redis, settings: Settings, url: str) -> str:
    rows = [lead_row("Bloom", url, "a@bloom.example.com")]
    report = ingest.ingest_file(write_csv(tmp_path / "a.csv", rows), conn, settings)
    [key] = Store(conn).run_leads(report.run_id)
    return key


def _lead(conn: redis.Redis, key: str) -> LeadRecord:
    record = Store(conn).get(key)
    assert record is not None
    return record


def test_a_commit_cut_off_before_exec_is_not_reported_superseded(
    tmp_path: Path, conn: redis.Redis, settings: Settings, redis_url: str, example_sites: dict[str, str]
) -> None:
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])
    rule = CutRule(marker=b"pl:out:")  # the commit transaction stores the stage output
    db = int(conn.connection_pool.connection_kwargs.get("db", 0))
    with redis_proxy(redis_url, rule, db) as proxied:
        through = redis.Redis.from_url(proxied)
        drain(through, settings, ["scrape"], timeout_s=30)
        through.close()

    assert rule.cuts == 1
    record = _lead(conn, key)
    assert (record.state, record.stage) == (LeadState.QUEUED, Stage.BUILD), record.history[-3:]
    assert stage_queue(conn, Stage.BUILD).job_ids == [job_id(key, Stage.BUILD, 1)]
    assert Job.fetch(job_id(key, Stage.SCRAPE, 1), connection=conn).return_value() == "next build"


def test_a_worker_killed_right_after_taking_the_last_attempt_does_not_strand_the_lead(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, preview_url: str, example_sites: dict[str, str]
) -> None:
    settings = make_settings(redis_url, var_dir, preview_url, retry_max={"scrape": 0})
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])
    jid = job_id(key, Stage.SCRAPE, 1)

    assert run_doomed(redis_url, "scrape", "after-dequeue") == -9
    queue = stage_queue(conn, Stage.SCRAPE)
    assert queue.intermediate_queue.get_job_ids() == [jid]
    # RQ fails a job found in its intermediate list on two maintenance passes a minute apart:
    # record the first sighting as two minutes old instead of waiting.
    conn.set(queue.intermediate_queue.get_first_seen_key(jid), time.time() - 120)

    drain(conn, settings, timeout_s=60)

    record = _lead(conn, key)
    assert record.state == LeadState.EMAILED, (record.state, record.stage, record.history[-3:])
    assert record.abandoned == {"scrape": 1}


def test_a_drain_never_cleans_up_rq_registries_outside_the_maintenance_lock(
    tmp_path: Path, conn: redis.Redis, settings: Settings, redis_url: str, example_sites: dict[str, str]
) -> None:
    key = _ingest_one(tmp_path, conn, settings, example_sites["florist"])
    jid = job_id(key, Stage.SCRAPE, 1)
    assert run_doomed(redis_url, "scrape", "in-job") == -9
    queue = stage_queue(conn, Stage.SCRAPE)
    [entry] = conn.zrange(queue.started_job_registry.key, 0, -1)
    conn.zadd(queue.started_job_registry.key, {entry: time.time() - 1})  # its worker is long gone
    queues = all_queues(conn)
    counts: list[int] = []
    start = threading.Barrier(2)

    def count() -> None:
        start.wait()
        counts.append(pending(queues))

    threads = [threading.Thread(target=count) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # Counting changed nothing: the abandoned job is left to a worker's maintenance (under RQ's lock).
    assert counts == [1, 1]
    assert Job.fetch(jid, connection=conn).get_status() == JobStatus.STARTED
    assert queue.count == 0 and conn.zcard(queue.started_job_registry.key) == 1

    drain(conn, settings, timeout_s=60)
    record = _lead(conn, key)
    assert record.state == LeadState.EMAILED, (record.state, record.stage, record.history[-3:])
    assert record.attempts["scrape"] == 1 and record.abandoned == {"scrape": 1}


class _Slow(BaseHTTPRequestHandler):
    """A prospect site slower than the scrape job's timeout."""

    def do_GET(self) -> None:
        time.sleep(3)
        with contextlib.suppress(OSError):  # the scraper gave up long ago
            send_html(self, b"<html><title>Slow</title></html>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_job_timeout_on_scrapes_last_attempt_degrades_the_lead(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, preview_url: str
) -> None:
    settings = make_settings(
        redis_url,
        var_dir,
        preview_url,
        retry_max={"scrape": 1},
        abandon_budget=0,
        job_timeout_s={"scrape": 1},
        fetch_read_timeout_s=10.0,
        fetch_deadline_s=10.0,
    )
    with serve(_Slow) as url:
        key = _ingest_one(tmp_path, conn, settings, url)
        drain(conn, settings, timeout_s=60)

    record = _lead(conn, key)
    # degraded, not dead: published, then held for a person (PIPELINE_HOLD_DEGRADED)
    assert (record.state, record.stage) == (LeadState.HELD, Stage.DEPLOY), record.last_error
    assert record.attempts["scrape"] == 2
    assert any("too slow" in d for d in record.degraded)
