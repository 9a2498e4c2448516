"""`pipeline reconcile` on a real Redis: stranded leads are found, re-enqueued once with their
deterministic job id, and dead-lettered after too many tries; live jobs are left alone."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from rq.job import Job

from pipeline import dlq, ingest
from pipeline.cli import cli
from pipeline.drain import drain
from pipeline.models import LeadRecord, LeadState, Stage
from pipeline.queues import job_id, stage_queue
from pipeline.reconcile import reconcile
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, make_settings, write_csv
from tests.support.doomed import run_doomed


@pytest.fixture
def settings(redis_url: str, var_dir: Path, preview_url: str, conn: redis.Redis) -> Settings:
    """Test settings with no grace period: every lead is judged at once."""
    return make_settings(redis_url, var_dir, preview_url, reconcile_grace_s=0, reconcile_max=2)


def _ingest(tmp_path: Path, conn: redis.Redis, settings: Settings, url: str, n: int = 1) -> list[str]:
    rows = [lead_row(f"Bloom {i}", url, f"a{i}@bloom.example.com") for i in range(n)]
    report = ingest.ingest_file(write_csv(tmp_path / "a.csv", rows), conn, settings)
    return sorted(Store(conn).run_leads(report.run_id))


def _lead(conn: redis.Redis, key: str) -> LeadRecord:
    record = Store(conn).get(key)
    assert record is not None
    return record


def _lose_job(conn: redis.Redis, key: str, stage: Stage = Stage.SCRAPE) -> None:
    """What a Redis that lost its last writes leaves: the lead says queued, its job is nowhere."""
    jid = job_id(key, stage, 1)
    conn.lrem(stage_queue(conn, stage).key, 0, jid)
    conn.delete(Job.key_for(jid))


def test_a_lead_whose_job_is_gone_is_re_enqueued_once_and_then_flows(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    lost, fine = _ingest(tmp_path, conn, settings, example_sites["florist"], n=2)
    _lose_job(conn, lost)

    dry = reconcile(conn, settings, dry_run=True)
    assert (dry.scanned, dry.stranded, dry.requeued) == (2, 1, 0)
    assert [(f.lead, f.action, f.reason) for f in dry.findings] == [(lost, "would re-enqueue", "its job is gone")]
    assert stage_queue(conn, Stage.SCRAPE).count == 1

    done = reconcile(conn, settings)
    assert (done.stranded, done.requeued) == (1, 1)
    assert sorted(stage_queue(conn, Stage.SCRAPE).job_ids) == sorted(job_id(k, Stage.SCRAPE, 1) for k in (lost, fine))
    assert reconcile(conn, settings).stranded == 0  # idempotent: the job is back

    drain(conn, settings, timeout_s=60)
    assert _lead(conn, lost).state == LeadState.EMAILED
    assert _lead(conn, lost).reconciles == {"scrape": 1}
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 2


def test_two_reconciles_at_once_make_one_job(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    keys = _ingest(tmp_path, conn, settings, example_sites["florist"], n=20)
    for key in keys:
        _lose_job(conn, key)
    start = threading.Barrier(2)
    requeued: list[int] = []

    def run() -> None:
        client = redis.Redis(connection_pool=conn.connection_pool)
        start.wait()
        requeued.append(reconcile(client, settings).requeued)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sum(requeued) == 20
    assert sorted(stage_queue(conn, Stage.SCRAPE).job_ids) == sorted(job_id(k, Stage.SCRAPE, 1) for k in keys)


def test_a_running_lead_whose_worker_was_killed_is_re_enqueued(
    tmp_path: Path, conn: redis.Redis, settings: Settings, redis_url: str, example_sites: dict[str, str]
) -> None:
    [key] = _ingest(tmp_path, conn, settings, example_sites["florist"])
    drain(conn, settings, ["scrape", "build"], timeout_s=60)
    assert run_doomed(redis_url, "deploy", "in-job") == -9
    Store(conn).save(_lead(conn, key).model_copy(update={"state": LeadState.RUNNING}))  # as the job had set it

    report = reconcile(conn, settings)

    [finding] = report.findings
    assert finding.action == "re-enqueued" and "worker" in finding.reason and "is gone" in finding.reason
    assert conn.zcard(stage_queue(conn, Stage.DEPLOY).started_job_registry.key) == 0
    drain(conn, settings, timeout_s=60)
    assert _lead(conn, key).state == LeadState.EMAILED


def test_a_lead_stranded_again_and_again_is_dead_lettered_and_its_requeue_converges(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    [key] = _ingest(tmp_path, conn, settings, example_sites["florist"])
    for _ in range(settings.reconcile_max):
        _lose_job(conn, key)
        assert reconcile(conn, settings).requeued == 1
    _lose_job(conn, key)

    report = reconcile(conn, settings)

    assert report.dead_lettered == 1
    record = _lead(conn, key)
    assert record.state == LeadState.DEAD
    assert "reconcile: stranded at scrape: its job is gone (after 2 re-enqueues" in (record.last_error or "")
    [dead] = dlq.list_jobs(conn)
    assert dead.job_id == job_id(key, Stage.SCRAPE, 1) and "stranded at scrape" in dead.error
    dlq.requeue(conn, settings, dead.job_id)
    drain(conn, settings, timeout_s=60)
    assert _lead(conn, key).state == LeadState.EMAILED


def test_a_finished_job_whose_commit_was_lost_is_re_run(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    [key] = _ingest(tmp_path, conn, settings, example_sites["florist"])
    before = _lead(conn, key)
    drain(conn, settings, ["scrape"], timeout_s=60)
    # the lead as a lost commit leaves it: still running at scrape, its job finished
    before.state = LeadState.RUNNING
    Store(conn).save(before)
    stage_queue(conn, Stage.BUILD).empty()

    report = reconcile(conn, settings)

    assert [f.job_status for f in report.findings] == ["finished"]
    drain(conn, settings, timeout_s=60)
    assert _lead(conn, key).state == LeadState.EMAILED


def test_reconcile_cli_prints_what_it_did_and_json(
    tmp_path: Path, conn: redis.Redis, settings: Settings, redis_url: str, example_sites: dict[str, str]
) -> None:
    [key] = _ingest(tmp_path, conn, settings, example_sites["florist"])
    _lose_job(conn, key)
    env = {"REDIS_URL": redis_url, "PIPELINE_VAR_DIR": str(settings.var_dir), "PIPELINE_RECONCILE_GRACE_S": "0"}
    runner = CliRunner()

    dry = runner.invoke(cli, ["reconcile", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert f"would re-enqueue: lead {key}" in dry.output and "1 stranded" in dry.output

    out = runner.invoke(cli, ["reconcile", "--json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)  # the stranded alert is logged on stderr
    assert data["requeued"] == 1 and data["findings"][0]["job_id"] == job_id(key, Stage.SCRAPE, 1)


def test_a_job_left_taken_by_a_dead_worker_is_re_enqueued_even_when_rq_maintenance_is_locked(
    tmp_path: Path, conn: redis.Redis, settings: Settings, redis_url: str, example_sites: dict[str, str]
) -> None:
    [key] = _ingest(tmp_path, conn, settings, example_sites["florist"])
    jid = job_id(key, Stage.SCRAPE, 1)
    assert run_doomed(redis_url, "scrape", "after-dequeue") == -9
    queue = stage_queue(conn, Stage.SCRAPE)
    conn.set(queue.registry_cleaning_key, 1, ex=899)  # a worker killed while cleaning holds RQ's lock

    assert reconcile(conn, settings).stranded == 0  # first sighting: it may still be starting
    assert conn.exists(queue.intermediate_queue.get_first_seen_key(jid))
    conn.set(queue.intermediate_queue.get_first_seen_key(jid), time.time() - 180)
    report = reconcile(conn, settings)

    assert [f.action for f in report.findings] == ["re-enqueued"]
    assert "died before starting it" in report.findings[0].reason
    assert queue.intermediate_queue.get_job_ids() == [] and queue.job_ids == [jid]
    drain(conn, settings, ["scrape"], timeout_s=60)
    assert _lead(conn, key).stage == Stage.BUILD
