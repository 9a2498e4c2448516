"""Operations: de-duplicated alerts on every channel (real HTTP and SMTP servers on 127.0.0.1),
metrics scraped over HTTP, the per-lead trail, SLA and freshness checks, the daily summary, and
secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from pipeline import ingest, logs, metrics, runs, summary
from pipeline.alerts import Alerter
from pipeline.cli import cli
from pipeline.drain import drain
from pipeline.models import LeadState, utcnow
from pipeline.observability import secret_values
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, write_csv
from tests.support.servers import serve


class _Hook(BaseHTTPRequestHandler):
    """Records every JSON body POSTed to it (stands in for Slack's and PagerDuty's endpoints)."""

    received: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.received.append((self.path, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def channels(settings: Settings) -> Iterator[tuple[Settings, list[tuple[str, dict[str, Any]]], _Mailbox]]:
    """Settings with all three alert channels pointed at local servers."""
    _Hook.received = []
    mailbox, port = _Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with serve(_Hook) as url:
            s = settings.model_copy(
                update={
                    "alert_slack_webhook_url": url + "slack/T000/B000/secret-webhook-token",
                    "alert_pagerduty_routing_key": "R0UTINGKEY1234",
                    "alert_pagerduty_url": url + "pagerduty",
                    "alert_email_to": "ops@agency.example.com",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                }
            )
            yield s, _Hook.received, mailbox
    finally:
        controller.stop()


def test_a_storm_of_500_failures_is_one_message_per_channel_then_one_resolve(
    conn: redis.Redis, channels: tuple[Settings, list[tuple[str, dict[str, Any]]], _Mailbox]
) -> None:
    settings, posted, mailbox = channels
    alerter = Alerter(conn, settings)

    sent = sum(alerter.fire("dlq-growth", "jobs are failing") for _ in range(500))
    alerter.resolve("dlq-growth")

    assert sent == 1
    slack = [b for p, b in posted if p.startswith("/slack")]
    pager = [b for p, b in posted if p == "/pagerduty"]
    assert len(slack) == 2 and "jobs are failing" in slack[0]["text"] and "RESOLVED" in slack[1]["text"]
    assert "500 event(s)" in slack[1]["text"]
    assert [b["event_action"] for b in pager] == ["trigger", "resolve"]
    assert pager[0]["dedup_key"] == pager[1]["dedup_key"] and pager[0]["routing_key"] == "R0UTINGKEY1234"
    assert len(mailbox.messages) == 2
    assert alerter.open_alerts() == {}


def test_an_alert_repeats_after_its_cooldown_with_the_count(conn: redis.Redis, settings: Settings) -> None:
    class Collect:
        name = "collect"

        def __init__(self) -> None:
            self.alerts: list[str] = []

        def send(self, alert: Any) -> None:
            self.alerts.append(alert.text())

    chan = Collect()
    alerter = Alerter(conn, settings.model_copy(update={"alert_cooldown_s": 0}), chans=[chan])
    alerter.fire("paused", "line paused")
    alerter.fire("paused", "line paused")
    assert len(chan.alerts) == 2 and "2 events so far" in chan.alerts[1]


def test_a_broken_channel_is_logged_without_its_url_and_does_not_raise(
    conn: redis.Redis, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    port = _free_port()  # nothing listens there
    s = settings.model_copy(update={"alert_slack_webhook_url": f"http://127.0.0.1:{port}/hooks/SECRET-TOKEN"})
    with caplog.at_level(logging.ERROR, logger="pipeline.alerts"):
        logging.getLogger("pipeline").propagate = True
        try:
            assert Alerter(conn, s).fire("x", "boom") is True
        finally:
            logging.getLogger("pipeline").propagate = False
    assert "alert channel slack failed" in caplog.text
    assert "SECRET-TOKEN" not in caplog.text


def test_secrets_never_reach_a_log_line_in_either_format(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    s = settings.model_copy(
        update={"smtp_password": "hunter2-smtp", "alert_slack_webhook_url": "https://hooks.example/T/B/xyzzy-token"}
    )
    for fmt in ("text", "json"):
        logs.setup("INFO", fmt, secret_values(s))
        log = logging.getLogger("pipeline.test")
        with logs.context(lead="abc123", stage="email"):
            log.error("login with %s failed; hook %s", "hunter2-smtp", s.alert_slack_webhook_url)
            try:
                raise RuntimeError("password hunter2-smtp refused")
            except RuntimeError:
                log.exception("send failed")
        err = capsys.readouterr().err
        assert "hunter2-smtp" not in err and "xyzzy-token" not in err
        assert "***" in err
        if fmt == "json":
            first = json.loads(err.splitlines()[0])
            assert first["lead"] == "abc123" and first["stage"] == "email" and "run" not in first
        else:
            assert "lead=abc123 stage=email" in err and "run=-" not in err
    logs.setup("WARNING")


def test_metrics_are_served_over_http_from_redis(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")]
    ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert drain(conn, settings, timeout_s=60).outcome == "done"
    metrics.count_event(conn, "reconcile", "requeued", 2)

    from prometheus_client import start_http_server

    server, _ = start_http_server(0, "127.0.0.1", metrics.registry(conn))
    try:
        text = requests.get(f"http://127.0.0.1:{server.server_address[1]}/metrics", timeout=5).text
    finally:
        server.shutdown()
    assert 'pipeline_jobs_total{outcome="emailed",stage="email"} 1.0' in text
    assert 'pipeline_jobs_total{outcome="done",stage="scrape"} 1.0' in text
    assert 'pipeline_job_seconds_count{stage="scrape"} 1.0' in text
    assert 'pipeline_leads{state="emailed"} 1.0' in text
    assert 'pipeline_events_total{label="requeued",name="reconcile"} 2.0' in text
    assert "pipeline_dlq_jobs 0.0" in text
    assert 'pipeline_stage_paused{stage="email"} 0.0' in text


def test_the_trail_shows_every_step_with_timings_and_the_cli_prints_it(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")]
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert drain(conn, settings, timeout_s=60).outcome == "done"
    [key] = Store(conn).run_leads(report.run_id)

    trail = Store(conn).trail(key)
    events = [(e.stage, e.event) for e in trail]
    assert events[0] == ("scrape", "started")  # ingest itself writes no event: the record has created_at
    for stage in ("scrape", "build", "deploy", "qa"):
        assert (stage, "started") in events and (stage, "done") in events
    assert events[-1] == ("email", "emailed")
    assert all(e.seconds is not None and e.job for e in trail if e.event == "done")
    assert Store(conn).get(key).model_dump().get("history") is None  # the record itself stays small

    out = CliRunner().invoke(cli, ["lead", key], env={"REDIS_URL": settings.redis_url or ""}, obj=None)
    assert out.exit_code == 0, out.output
    assert "ingested" in out.output and "emailed" in out.output and "attempt 1" in out.output


def test_sla_miss_alerts_and_resolves_when_the_run_finishes(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    class Collect:
        name = "collect"
        alerts: list[str] = []

        def send(self, alert: Any) -> None:
            self.alerts.append(alert.text())

    rows = [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")]
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    store = Store(conn)
    run = store.get_run(report.run_id)
    assert run is not None
    run.deadline = utcnow() - timedelta(minutes=1)  # the run is late and its lead still queued
    store.save_run(run)
    alerter = Alerter(conn, settings, chans=[Collect()])

    missed = runs.check_sla(store, alerter)
    assert [m.run_id for m in missed] == [report.run_id] and missed[0].open_leads == 1
    assert "missed its SLA" in Collect.alerts[0]

    assert drain(conn, settings, timeout_s=60).outcome == "done"
    assert runs.check_sla(store, alerter) == []
    assert "RESOLVED" in Collect.alerts[-1]
    assert runs.recent(store)[0].sla == "done"


def test_a_stale_inbox_alerts_and_a_fresh_file_resolves(tmp_path: Path, conn: redis.Redis, settings: Settings) -> None:
    store = Store(conn)
    alerter = Alerter(conn, settings, chans=[])
    assert runs.check_freshness(store, alerter, settings) is None  # nothing ingested yet: not stale
    rows = [lead_row("Bloom", "http://127.0.0.1:9/", "shop@bloom.example.com")]
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    run = store.get_run(report.run_id)
    assert run is not None
    run.started_at = utcnow() - timedelta(hours=30)
    store.save_run(run)

    assert runs.check_freshness(store, alerter, settings) is not None
    assert alerter.open_alerts() == {"stale-inbox": 1}
    ingest.ingest_file(
        write_csv(tmp_path / "more.csv", [lead_row("B", "http://127.0.0.1:9/", "b@b.example.com")]), conn, settings
    )
    assert runs.check_freshness(store, alerter, settings) is None
    assert alerter.open_alerts() == {}


def test_the_daily_summary_counts_the_day_and_folds_failure_reasons(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")]
    ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert drain(conn, settings, timeout_s=60).outcome == "done"

    day = summary.summarise_day(conn, utcnow().date())
    assert day.finished == {LeadState.EMAILED.value: 1} and day.emails_sent == 1 and day.runs_started == 1
    assert summary.failure_reason("timeout after 12.5 s on https://x.example/a lead 0123456789abcdef") == (
        "timeout after … s on … lead …"
    )
    assert summary.summarise_day(conn, (utcnow() - timedelta(days=3)).date()).emails_sent == 0


def test_the_grafana_dashboard_only_queries_metrics_the_exporter_serves(conn: redis.Redis) -> None:
    import re

    dashboard = json.loads((Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json").read_text())
    served = {m.name for m in metrics.RedisCollector(conn).collect()}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names = set(re.findall(r"\bpipeline_[a-z_]+", target["expr"]))
            bases = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in names}
            assert bases <= served, (panel["title"], bases - served)


def _archive_csv(settings: Settings, day: str, name: str, rows: list[dict[str, str]]) -> Path:
    folder = settings.archive_dir / day
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / name, rows)


def test_backfill_skips_finished_leads_and_rerun_restarts_only_dead_and_held_ones(
    conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [
        lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com"),
        lead_row("Rosie", example_sites["bakery"], "hi@rosie.example.com"),
    ]
    _archive_csv(settings, "2026-11-01", "a.csv", rows)
    _archive_csv(
        settings, "2026-11-20", "late.csv", [lead_row("Late", example_sites["plumbing"], "x@late.example.com")]
    )
    from datetime import date

    from pipeline import runctl

    first = runctl.backfill(conn, settings, date(2026, 11, 1), date(2026, 11, 2))
    assert first.enqueued == 2 and len(first.files) == 1  # the file of the 20th is outside the range
    assert drain(conn, settings, timeout_s=90).outcome == "done"
    store = Store(conn)
    bloom = next(r for r in store.iter_leads(store.run_leads(first.runs[0])) if r.lead.company == "Bloom")
    assert bloom.state == LeadState.EMAILED
    rosie = next(r for r in store.iter_leads(store.run_leads(first.runs[0])) if r.lead.company == "Rosie")
    rosie.state = LeadState.DEAD  # as if it had been dead-lettered
    store.save(rosie)

    again = runctl.backfill(conn, settings, date(2026, 11, 1), date(2026, 11, 1))
    assert (again.enqueued, again.rerun, again.skipped_done) == (0, 0, 2)

    rerun = runctl.backfill(conn, settings, date(2026, 11, 1), date(2026, 11, 1), rerun=True)
    assert (rerun.rerun, rerun.skipped_done) == (1, 1)  # the emailed lead is not rerun without --reemail
    assert drain(conn, settings, timeout_s=90).outcome == "done"
    after = store.get(rosie.key)
    assert after is not None and after.state == LeadState.EMAILED and after.generation == 2
    assert store.get(bloom.key).generation == 1  # type: ignore[union-attr]


def test_abort_takes_a_runs_jobs_out_and_holds_its_leads(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    rows = [lead_row(f"Shop {i}", example_sites["florist"], f"s{i}@shop.example.com") for i in range(3)]
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    out = CliRunner().invoke(cli, ["abort", report.run_id, "--json"], env={"REDIS_URL": settings.redis_url or ""})
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"run_id": report.run_id, "held": 3, "jobs_removed": 3, "already_done": 0}
    from pipeline.models import Stage
    from pipeline.queues import stage_queue

    assert stage_queue(conn, Stage.SCRAPE).count == 0
    assert {r.state for r in Store(conn).iter_leads(Store(conn).run_leads(report.run_id))} == {LeadState.HELD}
    assert CliRunner().invoke(cli, ["abort", "nope"], env={"REDIS_URL": settings.redis_url or ""}).exit_code == 1


def _rows(n: int, phone: bool) -> list[dict[str, str]]:
    return [
        lead_row(f"Shop {i}", f"shop{i}.example.com", f"s{i}@shop{i}.example.com", phone="0123 4567" if phone else "")
        for i in range(n)
    ]


def test_schema_drift_holds_a_whole_run_until_approved(tmp_path: Path, conn: redis.Redis, settings: Settings) -> None:
    inbox = tmp_path / "agency"
    inbox.mkdir()
    header = ["company", "website", "email", "phone"]
    settings = settings.model_copy(update={"allow_loopback": False})
    usual = ingest.ingest_file(write_csv(inbox / "monday.csv", _rows(30, True), header), conn, settings)
    assert usual.held_reason is None and usual.enqueued == 30

    drifted = ingest.ingest_file(write_csv(inbox / "tuesday.csv", _rows(60, False)[30:], header), conn, settings)
    assert drifted.enqueued == 0 and drifted.held == 30
    assert drifted.held_reason and "'phone' is 100% empty (usually 0%)" in drifted.held_reason
    store = Store(conn)
    assert {r.state for r in store.iter_leads(store.run_leads(drifted.run_id))} == {LeadState.HELD}
    from pipeline.models import Stage
    from pipeline.queues import stage_queue

    assert stage_queue(conn, Stage.SCRAPE).count == 30  # only Monday's jobs

    env = {"REDIS_URL": settings.redis_url or ""}
    out = CliRunner().invoke(cli, ["runs", "--json"], env=env)
    assert out.exit_code == 0, out.output
    assert [r["held"] is not None for r in json.loads(out.output)] == [True, False]
    out = CliRunner().invoke(cli, ["runs", "approve", drifted.run_id], env=env)
    assert out.exit_code == 0 and "30 lead(s) enqueued" in out.output
    assert stage_queue(conn, Stage.SCRAPE).count == 60
    assert {r.state for r in store.iter_leads(store.run_leads(drifted.run_id))} == {LeadState.QUEUED}
    assert CliRunner().invoke(cli, ["runs", "approve", drifted.run_id], env=env).exit_code == 1  # not held any more


def test_new_columns_and_a_mostly_rejected_file_are_drift_too(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    inbox = tmp_path / "agency"
    inbox.mkdir()
    settings = settings.model_copy(update={"allow_loopback": False})
    ingest.ingest_file(
        write_csv(inbox / "a.csv", _rows(25, True), ["company", "website", "email", "phone"]), conn, settings
    )
    renamed = ingest.ingest_file(
        write_csv(inbox / "b.csv", _rows(25, True), ["company", "website", "email", "phone", "city"]), conn, settings
    )
    assert renamed.held_reason and "+city" in renamed.held_reason
    bad = [lead_row(f"X{i}", "not a url at all", "nobody") for i in range(25)]
    first_time = ingest.ingest_file(write_csv(tmp_path / "other.csv", bad), conn, settings)
    assert first_time.held_reason and "100% of the sampled rows were rejected" in first_time.held_reason


def test_the_breaker_pauses_a_failing_stage_alerts_and_resume_clears_it(
    tmp_path: Path, conn: redis.Redis, settings: Settings, example_sites: dict[str, str]
) -> None:
    from pipeline import breaker, control

    settings = settings.model_copy(update={"breaker_consecutive": 3, "retry_max": dict.fromkeys(settings.retry_max, 0)})
    from pipeline import runtime

    runtime.install(settings)
    for _ in range(2):
        assert breaker.record_failure(conn, "build", settings, "boom") is False
    with conn.pipeline() as pipe:
        breaker.record_success(pipe, "build", settings)  # a success breaks the run of failures
        pipe.execute()
    assert [breaker.record_failure(conn, "build", settings, "boom") for _ in range(3)] == [False, False, True]
    assert set(control.paused_stages(conn)) == {"build"} and not control.state(conn).paused
    assert Alerter(conn, settings, chans=[]).open_alerts() == {"breaker:build": 1}

    # a paused stage takes no job; the rest of the line runs, and the drain says why it stopped
    rows = [lead_row("Bloom", example_sites["florist"], "shop@bloom.example.com")]
    ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert drain(conn, settings, timeout_s=30).outcome == "paused"
    [rec] = Store(conn).iter_leads(Store(conn).keys_in_state(LeadState.QUEUED))
    assert rec.stage.value == "build"

    out = CliRunner().invoke(cli, ["resume"], env={"REDIS_URL": settings.redis_url or ""})
    assert out.exit_code == 0 and "build" in out.output
    assert control.paused_stages(conn) == {} and Alerter(conn, settings, chans=[]).open_alerts() == {}
    assert drain(conn, settings, timeout_s=60).outcome == "done"
    assert Store(conn).get(rec.key).state == LeadState.EMAILED  # type: ignore[union-attr]


def test_status_check_alert_raises_line_health_when_no_worker_serves_a_queue(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    rows = [lead_row("Bloom", "http://127.0.0.1:9/", "shop@bloom.example.com")]
    ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    out = CliRunner().invoke(cli, ["status", "--check", "--alert"], env={"REDIS_URL": settings.redis_url or ""})
    assert out.exit_code == 1, out.output
    assert "line-health" in Alerter(conn, settings, chans=[]).open_alerts()
