"""`pipeline site open|rollback|undeploy LEAD` and `pipeline serve`, against a real Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import App
from pipeline.cli.site import site
from pipeline.deploy import target_for
from pipeline.models import LeadRecord, Stage
from pipeline.settings import Settings
from pipeline.store import Store
from tests.deploy.bundles import SLUG, bundle

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(settings: Settings) -> App:
    return App(settings)


def add_lead(store: Store, key: str = "0123abcd45678900") -> LeadRecord:
    from tests.render.profiles import LEAD

    record = LeadRecord(key=key, lead=LEAD, run_id="run-1")
    store.save(record)
    store.put_output(key, Stage.BUILD, bundle("one"))
    return record


def test_site_open_prints_the_url_of_a_published_site(app: App) -> None:
    record = add_lead(app.store())
    target_for(app.settings).publish(bundle("one"))
    result = CliRunner().invoke(site, ["open", record.key], obj=app)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{app.settings.site_base_url}{SLUG}/"


def test_site_open_of_an_unpublished_or_unknown_lead_is_a_clear_error(app: App) -> None:
    record = add_lead(app.store())
    result = CliRunner().invoke(site, ["open", record.key], obj=app)
    assert result.exit_code == 1 and "has no published site" in result.output
    result = CliRunner().invoke(site, ["open", "feedfeedfeedfeed"], obj=app)
    assert result.exit_code == 1 and "unknown lead" in result.output
    assert "Traceback" not in result.output


def test_site_rollback_restores_the_previous_version_and_twice_undoes_it(app: App) -> None:
    record = add_lead(app.store())
    target = target_for(app.settings)
    target.publish(bundle("one"))
    target.publish(bundle("two"))
    runner = CliRunner()

    result = runner.invoke(site, ["rollback", record.key], obj=app)

    assert result.exit_code == 0, result.output
    assert bundle("one").content_hash in result.output
    assert target.current_version(SLUG) == bundle("one").content_hash
    runner.invoke(site, ["rollback", record.key], obj=app)
    assert target.current_version(SLUG) == bundle("two").content_hash


def test_site_rollback_without_history_fails_cleanly(app: App) -> None:
    record = add_lead(app.store())
    target_for(app.settings).publish(bundle("one"))
    result = CliRunner().invoke(site, ["rollback", record.key], obj=app)
    assert result.exit_code == 1 and "no previous version" in result.output


def test_site_undeploy_is_idempotent(app: App) -> None:
    record = add_lead(app.store())
    target_for(app.settings).publish(bundle("one"))
    first = CliRunner().invoke(site, ["undeploy", record.key], obj=app)
    second = CliRunner().invoke(site, ["undeploy", record.key], obj=app)
    assert first.exit_code == second.exit_code == 0
    assert "taken down" in first.output and "was not published" in second.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pipeline_serve_serves_the_web_root_on_loopback(tmp_path: Path, settings: Settings) -> None:
    """`pipeline serve` as the Procfile runs it: a process that answers on 127.0.0.1."""
    root = tmp_path / "web"
    from pipeline.deploy import LocalWebRoot

    LocalWebRoot(root, "http://127.0.0.1/").publish(bundle("served"))
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "PIPELINE_ENV_FILE": os.devnull,  # a developer's .env must not reach the test
        "REDIS_URL": settings.redis_url or "",
        "PIPELINE_VAR_DIR": str(tmp_path / "var"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--root",
            str(root),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{SLUG}/", timeout=2) as response:
                    assert b"<title>served</title>" in response.read()
                    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0].decode()
    assert f"http://127.0.0.1:{port}/" in out
