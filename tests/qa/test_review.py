"""Review of held leads: the CLI, the review page in real Chromium (a held lead approved from the
page is emailed exactly once), its guards (CSRF, basic auth off loopback), and the run report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from click.testing import CliRunner
from pydantic import SecretStr

from pipeline import control, ingest, runtime
from pipeline.cli.main import cli
from pipeline.drain import drain
from pipeline.errors import InputError
from pipeline.models import LeadRecord, LeadState, QaStatus, SiteBundle, Stage
from pipeline.qa import review, webapp
from pipeline.qa.report import write_report
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, make_settings, write_csv


def _held_lead(tmp_path: Path, conn: redis.Redis, settings: Settings, site: str) -> LeadRecord:
    """Run one lead through the pipeline with a performance minimum no page can reach: it is held."""
    rows = [lead_row("Rosie's Bakery", site, "hello@rosies-bakery.example.com")]
    ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, settings)
    assert drain(conn, settings, timeout_s=90).outcome == "done"
    store = Store(conn)
    [record] = store.iter_leads(store.run_leads(store.latest_runs(1)[0]))
    assert record.state == LeadState.HELD and record.qa_status == QaStatus.HELD, record.last_error
    return record


@pytest.fixture
def strict(redis_url: str, var_dir: Path, preview_url: str, conn: redis.Redis) -> Settings:
    """Settings under which every lead fails the performance gate (so it is held for review)."""
    return make_settings(redis_url, var_dir, preview_url, qa_min_performance_score=101)


@contextmanager
def review_page(conn: redis.Redis, settings: Settings) -> Iterator[str]:
    server = webapp.serve(conn, settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_held_lead_approved_from_the_page_is_emailed_exactly_once(
    tmp_path: Path, conn: redis.Redis, strict: Settings, example_sites: dict[str, str], plain_browser: Any
) -> None:
    record = _held_lead(tmp_path, conn, strict, example_sites["bakery"])
    with review_page(conn, strict) as url:
        context = plain_browser.new_context()
        try:
            page, stale = context.new_page(), context.new_page()
            page.goto(url)
            stale.goto(url)  # a second tab with the same form: a double submit
            assert page.locator(f"#lead-{record.key} img").count() >= 2  # desktop, mobile (+ prospect)
            assert "performance" in page.inner_text(f"#lead-{record.key} table")
            page.click(f"#approve-{record.key}")
            assert "approved: it goes on to email" in page.inner_text(".flash")
            stale.click(f"#approve-{record.key}")
            assert "is not waiting for review" in stale.inner_text(".flash")
        finally:
            context.close()
    assert drain(conn, strict, timeout_s=60).outcome == "done"
    after = Store(conn).get(record.key)
    assert after is not None and after.state == LeadState.EMAILED
    assert after.qa_status == QaStatus.APPROVED and after.review is not None
    assert after.review.by.startswith("reviewer@127.0.0.1") and after.approved_by == after.review.by
    assert len(list(strict.outbox_dir.glob("*.eml"))) == 1


def test_the_review_page_refuses_forged_posts_and_needs_a_password_off_loopback(
    conn: redis.Redis, settings: Settings
) -> None:
    with review_page(conn, settings) as url:
        forged = requests.post(f"{url}lead/abc/approve", data={"reason": "x"}, timeout=5)
        assert forged.status_code == 403
        assert "frame-ancestors 'none'" in requests.get(url, timeout=5).headers["Content-Security-Policy"]
    with pytest.raises(InputError, match="PIPELINE_REVIEW_PASSWORD"):
        webapp.serve(conn, settings, "0.0.0.0", 0)  # refused before anything binds
    locked = settings.model_copy(update={"review_password": SecretStr("s3cret")})
    client = webapp.create_app(conn, locked).test_client()
    assert client.get("/").status_code == 401
    assert client.get("/", auth=("reviewer", "s3cret")).status_code == 200
    assert client.get("/", auth=("reviewer", "wrong")).status_code == 401


def test_review_cli_report_and_breaker_on_a_held_lead(
    tmp_path: Path, redis_url: str, var_dir: Path, preview_url: str, conn: redis.Redis, example_sites: dict[str, str]
) -> None:
    strict = make_settings(redis_url, var_dir, preview_url, qa_min_performance_score=101, qa_breaker_min_leads=1)
    record = _held_lead(tmp_path, conn, strict, example_sites["plumbing"])

    # the gate breaker: every lead of the run failed, so email is paused
    paused = control.paused_stages(conn)["email"]
    assert paused.by == "gate breaker" and "1 of 1 leads" in (paused.reason or "")

    # the run report
    index = write_report(Store(conn), record.run_id, tmp_path / "reports")
    html = index.read_text()
    assert record.key in html and "performance fail" in html and "<h2>Stage timings" in html and ">held" in html
    assert len(list((index.parent / "shots").glob(f"{record.key}-*.webp"))) >= 2

    # the CLI: list, show, reject (takes the site down), and no approval after that
    runner = CliRunner()
    env = {"REDIS_URL": strict.redis_url or "", "PIPELINE_VAR_DIR": str(strict.var_dir)}
    listed = runner.invoke(cli, ["review", "list"], env=env)
    assert listed.exit_code == 0 and record.key in listed.output
    shown = runner.invoke(cli, ["review", "show", record.key], env=env)
    assert "performance" in shown.output and "fail" in shown.output
    bundle = Store(conn).get_output(record.key, Stage.BUILD, SiteBundle)
    assert bundle is not None and (strict.sites_dir / bundle.slug).exists()
    rejected = runner.invoke(cli, ["review", "reject", record.key, "--reason", "logo is wrong"], env=env)
    assert rejected.exit_code == 0, rejected.output
    after = Store(conn).get(record.key)
    assert after is not None and after.state == LeadState.REJECTED and after.review is not None
    assert after.review.reason == "logo is wrong"
    assert not (strict.sites_dir / bundle.slug).exists()
    assert not review.held(Store(conn))
    again = runner.invoke(cli, ["review", "approve", record.key], env=env)
    assert again.exit_code == 1 and "not waiting for review" in again.output
    runtime.install(strict)
