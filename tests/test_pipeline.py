"""The whole line on a real Redis with burst workers: CSV → scrape → build → deploy → qa → email,
retries, the dead-letter queue, requeue and pause."""

from __future__ import annotations

import subprocess
import sys
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import redis
import requests
from click.testing import CliRunner

from pipeline import control, dlq, ingest
from pipeline.cli import cli
from pipeline.drain import drain
from pipeline.models import LeadRecord, LeadState, Stage
from pipeline.queues import job_id, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store, output_key
from tests.conftest import lead_row, make_settings, write_csv
from tests.support.servers import send_html, serve, serve_directory


def _ingest(tmp_path: Path, conn: redis.Redis, settings: Settings, rows: list[dict[str, str]]) -> list[LeadRecord]:
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert report.enqueued == len(rows)
    return _leads(conn, report.run_id)


def _leads(conn: redis.Redis, run_id: str | None = None) -> list[LeadRecord]:
    store = Store(conn)
    run_id = run_id or store.latest_runs(1)[0]
    return sorted(store.iter_leads(store.run_leads(run_id)), key=lambda r: r.lead.company)


def _one(conn: redis.Redis) -> LeadRecord:
    [record] = _leads(conn)
    return record


def test_every_lead_flows_through_all_stages_to_one_email(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [
        lead_row("Rosie's Bakery", example_sites["bakery"], "hello@rosies-bakery.example.com", first_name="Rosie"),
        lead_row("Northside Plumbing", example_sites["plumbing"], "jobs@northside-plumbing.example.com"),
        lead_row("Gone Fishing", "http://127.0.0.1:9/", "owner@gone-fishing.example.com"),
    ]
    _ingest(tmp_path, conn, settings, rows)

    result = drain(conn, settings, timeout_s=60)

    assert result.outcome == "done"
    leads = _leads(conn)
    states = {r.lead.company: r.state for r in leads}
    assert states == {
        "Gone Fishing": LeadState.HELD,  # unreachable: a CSV-only demo is held for review, not emailed
        "Northside Plumbing": LeadState.EMAILED,
        "Rosie's Bakery": LeadState.EMAILED,
    }, [(r.lead.company, r.last_error) for r in leads]
    emails = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(emails) == 2
    by_company = {r.lead.company: r for r in leads}
    bakery = by_company["Rosie's Bakery"]
    assert not bakery.degraded
    page = requests.get(bakery.site_url or "", timeout=5)
    assert page.status_code == 200 and "Rosie" in page.text
    msg = message_from_bytes(Path(bakery.email_file or "").read_bytes(), policy=policy.default)
    assert msg["To"].endswith("<hello@rosies-bakery.example.com>")
    assert msg["Message-ID"] == f"<{bakery.key}.1@demo-agency.localhost>"
    assert "List-Unsubscribe" in msg
    assert bakery.site_url in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    gone = by_company["Gone Fishing"]
    assert gone.degraded and "unreachable" in gone.degraded[0]
    assert gone.attempts["scrape"] == settings.retry_max["scrape"] + 1
    assert "degraded lead held for review" in (gone.last_error or "") and gone.site_url


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first two requests, then a small page."""

    hits = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with _Flaky.lock:
            _Flaky.hits += 1
            hit = _Flaky.hits
        if hit <= 2:
            self.send_response(503)
            self.end_headers()
            return
        send_html(self, b"<html><head><title>Flaky Forge</title></head><body><h1>Flaky Forge</h1></body></html>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_transient_error_is_retried_and_then_passes(tmp_path: Path, conn: redis.Redis, settings: Settings) -> None:
    _Flaky.hits = 0
    with serve(_Flaky) as url:
        _ingest(tmp_path, conn, settings, [lead_row("Flaky Forge", url, "a@flaky.example.com")])
        assert drain(conn, settings, timeout_s=60).outcome == "done"
    record = _one(conn)
    assert record.state == LeadState.EMAILED
    assert record.attempts["scrape"] == 3
    assert not any("unreachable" in d for d in record.degraded)
    assert [e.event for e in Store(conn).trail(record.key) if e.stage == Stage.SCRAPE].count("retrying") == 2


def _break_scrape_output(conn: redis.Redis, settings: Settings, tmp_path: Path, url: str) -> tuple[LeadRecord, bytes]:
    """Run only the scrape stage, then remove its output so build fails permanently."""
    _ingest(tmp_path, conn, settings, [lead_row("Rosie's Bakery", url, "hello@rosies.example.com")])
    assert drain(conn, settings, ["scrape"], timeout_s=30).outcome == "done"
    record = _one(conn)
    saved = conn.get(output_key(record.key, Stage.SCRAPE))
    assert saved
    conn.delete(output_key(record.key, Stage.SCRAPE))
    return record, saved


def test_a_permanent_error_skips_retries_and_goes_straight_to_the_dlq(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, preview_url: str, example_sites: dict[str, str]
) -> None:
    settings = make_settings(redis_url, var_dir, preview_url, retry_max={"build": 3, "scrape": 1})
    record, _ = _break_scrape_output(conn, settings, tmp_path, example_sites["bakery"])

    assert drain(conn, settings, timeout_s=30).outcome == "done"

    dead = _one(conn)
    assert dead.state == LeadState.DEAD
    assert dead.attempts["build"] == 1
    assert "PermanentError" in (dead.last_error or "")
    [job] = dlq.list_jobs(conn)
    assert job.job_id == job_id(record.key, Stage.BUILD, 1)
    assert "scrape output" in job.error
    assert stage_queue(conn, Stage.BUILD).failed_job_registry.count == 1


def test_dlq_requeue_runs_the_stage_again_with_fresh_retries_and_finishes_the_lead(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    record, saved = _break_scrape_output(conn, settings, tmp_path, example_sites["bakery"])
    drain(conn, settings, timeout_s=30)
    assert _one(conn).state == LeadState.DEAD
    conn.set(output_key(record.key, Stage.SCRAPE), saved)  # the cause is fixed

    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["dlq", "requeue", job_id(record.key, Stage.BUILD, 1)], env=env)
    assert result.exit_code == 0, result.output
    assert job_id(record.key, Stage.BUILD, 2) in result.output
    assert dlq.size(conn) == 0

    assert drain(conn, settings, timeout_s=30).outcome == "done"
    done = _one(conn)
    assert done.state == LeadState.EMAILED
    assert done.generation == 2
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_retries_exhausted_dead_letter_the_lead_and_rq_requeue_revives_it(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, example_sites: dict[str, str]
) -> None:
    # Given a preview server that is down, qa cannot reach the deployed site
    settings = make_settings(redis_url, var_dir, "http://127.0.0.1:9/", retry_max={"qa": 2})
    _ingest(tmp_path, conn, settings, [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")])
    assert drain(conn, settings, timeout_s=60).outcome == "done"
    dead = _one(conn)
    assert dead.state == LeadState.DEAD and dead.stage == Stage.QA
    assert dead.attempts["qa"] == 3
    assert "TransientError" in (dead.last_error or "")

    # When the preview server is back and an operator requeues with RQ's own tool (as rq-dashboard does)
    with serve_directory(var_dir / "sites") as url:
        settings = make_settings(redis_url, var_dir, url)
        # the site URL is recorded at deploy: point it at the live server
        from pipeline.models import DeployResult

        store = Store(conn)
        store.put_output(dead.key, Stage.DEPLOY, DeployResult(url=url + dead.site_url.split("/", 3)[3], version="x"))  # type: ignore[union-attr]
        stage_queue(conn, Stage.QA).failed_job_registry.requeue(job_id(dead.key, Stage.QA, 1))
        assert drain(conn, settings, timeout_s=30).outcome == "done"
    assert _one(conn).state == LeadState.EMAILED


def test_pause_holds_every_job_and_resume_lets_them_finish(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    control.pause(conn, "checking a complaint")
    _ingest(tmp_path, conn, settings, [lead_row("Rosie's Bakery", example_sites["bakery"], "hello@rosies.example.com")])

    result = drain(conn, settings, timeout_s=10)

    assert result.outcome == "paused"
    assert stage_queue(conn, Stage.SCRAPE).count == 1
    assert _one(conn).state == LeadState.QUEUED
    state = control.state(conn)
    assert state.paused and state.reason == "checking a complaint"

    control.resume(conn)
    assert drain(conn, settings, timeout_s=30).outcome == "done"
    assert _one(conn).state == LeadState.EMAILED


def test_a_job_dequeued_just_as_the_line_pauses_goes_back_to_its_queue(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    from workers.worker import make_worker

    _ingest(tmp_path, conn, settings, [lead_row("Rosie's Bakery", example_sites["bakery"], "hello@rosies.example.com")])
    worker = make_worker(conn, settings, ["scrape"])
    queue = stage_queue(conn, Stage.SCRAPE)
    job = queue.dequeue_any([queue], timeout=None, connection=conn)
    assert job is not None and queue.count == 0
    control.pause(conn, "test")
    worker.execute_job(job[0], queue)
    assert queue.job_ids == [job[0].id]
    assert _one(conn).state == LeadState.QUEUED


def test_status_shows_the_pause_reason_queues_and_dlq(conn: redis.Redis, settings: Settings) -> None:
    control.pause(conn, "maintenance window")
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["status"], env=env)
    assert result.exit_code == 0, result.output
    assert "PAUSED" in result.output and "maintenance window" in result.output
    assert "dead-letter queue: 0 job(s)" in result.output
    for stage in Stage:
        assert stage.value in result.output


def test_rq_info_lists_the_five_stage_queues(conn: redis.Redis, settings: Settings) -> None:
    for stage in Stage:
        stage_queue(conn, stage).enqueue_many([])  # registers the queue
        conn.sadd("rq:queues", f"rq:queue:{stage.value}")
    rq_bin = Path(sys.executable).with_name("rq")
    out = subprocess.run(
        [str(rq_bin), "info", "--url", settings.redis_url or "", "--only-queues"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    for stage in Stage:
        assert stage.value in out


def test_a_permanent_send_failure_undeploys_the_site_and_requeue_starts_again_at_deploy(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, preview_url: str, example_sites: dict[str, str]
) -> None:
    from tests.support.smtp import Script, scripted_smtp

    # a 5xx in answer to the message itself (spam filter): permanent, the lead is dead, the site comes down
    with scripted_smtp(Script(after_data=b"554 5.7.1 rejected as spam\r\n")) as port:
        settings = make_settings(
            redis_url, var_dir, preview_url, smtp_host="127.0.0.1", smtp_port=port, sender_postal_address="1 Lane"
        )
        _ingest(tmp_path, conn, settings, [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")])
        assert drain(conn, settings, timeout_s=30).outcome == "done"
    dead = _one(conn)
    assert dead.state == LeadState.DEAD and dead.stage == Stage.EMAIL
    assert dead.attempts["email"] == 1  # 5xx is permanent: no retries
    assert dead.site_url is None
    assert "compensated" in [e.event for e in Store(conn).trail(dead.key)]
    assert not any(p.name.startswith("bloom-") for p in (var_dir / "sites").iterdir())

    new_id = dlq.requeue(conn, settings, job_id(dead.key, Stage.EMAIL, 1))
    assert new_id == job_id(dead.key, Stage.DEPLOY, 2)
    assert drain(conn, settings.model_copy(update={"smtp_host": None}), timeout_s=30).outcome == "done"
    done = _one(conn)
    assert done.state == LeadState.EMAILED
    assert requests.get(done.site_url or "", timeout=5).status_code == 200


def test_dlq_requeue_refuses_a_stale_job_and_the_cli_says_why(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    record, saved = _break_scrape_output(conn, settings, tmp_path, example_sites["bakery"])
    drain(conn, settings, timeout_s=30)
    conn.set(output_key(record.key, Stage.SCRAPE), saved)
    dead_job = job_id(record.key, Stage.BUILD, 1)
    dlq.requeue(conn, settings, dead_job)
    # the same dead job id, put back in the registry by hand, is now stale (generation 2 is live)
    stage_queue(conn, Stage.BUILD).failed_job_registry.add(
        stage_queue(conn, Stage.BUILD).enqueue("os.getcwd", job_id=dead_job), ttl=60
    )
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["dlq", "requeue", "--all"], env=env)
    assert result.exit_code == 0, result.output
    assert "0 job(s) requeued" in result.output
    assert "stale" in result.output


def test_drain_with_an_unknown_stage_is_a_usage_error(settings: Settings) -> None:
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["drain", "--queues", "scrape,nope"], env=env)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
