"""Operator tooling outside our CLI: rq-dashboard on the same Redis, the crontab and the Procfile."""

from __future__ import annotations

import shlex
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from croniter import croniter

from pipeline import ingest
from pipeline.cli import cli
from pipeline.drain import drain
from pipeline.models import LeadState, Stage
from pipeline.queues import job_id, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import REPO, lead_row, make_settings, write_csv


def _dashboard(url: str):  # type: ignore[no-untyped-def]
    from rq_dashboard.cli import make_flask_app
    from rq_dashboard.web import setup_rq_connection

    app = make_flask_app(None, None, None, "")
    app.config["RQ_DASHBOARD_REDIS_URL"] = url
    setup_rq_connection(app)
    return app.test_client()


def test_rq_dashboard_lists_our_queues_and_its_requeue_revives_a_dead_lead(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, example_sites: dict[str, str]
) -> None:
    # Given a lead dead in qa because the preview server was down
    down = make_settings(redis_url, var_dir, "http://127.0.0.1:9/", retry_max={"qa": 0})
    ingest.ingest_file(
        write_csv(tmp_path / "a.csv", [lead_row("Bloom", example_sites["florist"], "a@bloom.example.com")]), conn, down
    )
    drain(conn, down, timeout_s=30)
    [key] = Store(conn).keys_in_state(LeadState.DEAD)
    client = _dashboard(redis_url)

    queues = client.get("/0/data/queues.json").get_json()["queues"]
    assert {q["name"] for q in queues} >= {"scrape", "build", "deploy", "qa"}
    # the qa queue's FailedJobRegistry, as the dashboard lists it
    failed = client.get("/0/data/jobs/qa/failed/10/asc/1.json").get_json()["jobs"]
    assert [j["id"] for j in failed] == [job_id(key, Stage.QA, 1)]

    # When the site is reachable again and the operator presses requeue in the dashboard
    import pipeline.models as models

    store = Store(conn)
    record = store.get(key)
    assert record is not None and record.site_url
    from tests.support.servers import serve_directory

    with serve_directory(var_dir / "sites") as url:
        store.put_output(
            key, Stage.DEPLOY, models.DeployResult(url=url + record.site_url.split("/", 3)[3], version="v")
        )
        assert client.post(f"/job/{job_id(key, Stage.QA, 1)}/requeue").status_code == 200
        assert stage_queue(conn, Stage.QA).count == 1
        drain(conn, make_settings(redis_url, var_dir, url), timeout_s=30)
    assert store.get(key).state == LeadState.EMAILED  # type: ignore[union-attr]


def _crontab_entries() -> list[tuple[str, str]]:
    entries = []
    for line in (REPO / "crontab").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" in line.split()[0]:
            continue
        fields = line.split(None, 5)
        entries.append((" ".join(fields[:5]), fields[5]))
    return entries


def test_every_crontab_line_is_a_valid_schedule_calling_the_locked_wrapper() -> None:
    entries = _crontab_entries()
    assert entries
    for schedule, command in entries:
        assert croniter.is_valid(schedule), schedule
        assert croniter(schedule, datetime(2026, 1, 1)).get_next(datetime) > datetime(2026, 1, 1)
        assert "scripts/cron.sh" in command


def test_inbox_ingest_runs_every_few_minutes() -> None:
    [schedule] = [s for s, c in _crontab_entries() if c.endswith("pipeline ingest")]
    it = croniter(schedule, datetime(2026, 1, 1))
    first, second = it.get_next(datetime), it.get_next(datetime)
    assert (second - first).total_seconds() <= 15 * 60


def test_every_procfile_process_is_a_pipeline_command_and_each_stage_has_a_worker(settings: Settings) -> None:
    processes = dict(line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines() if line.strip())
    worker_queues = set()
    for name, command in processes.items():
        argv = shlex.split(command)
        assert argv[0] == "pipeline", name
        result = CliRunner().invoke(cli, [*argv[1:], "--help"])
        assert result.exit_code == 0, (name, result.output)
        if argv[1] == "worker":
            worker_queues.update(argv[argv.index("--queues") + 1].split(","))
    assert worker_queues == {s.value for s in Stage}
    assert {"dashboard", "preview"} <= set(processes)
    assert "redis" not in processes  # Redis runs outside the Procfile so that it outlives the workers


def test_the_cron_wrapper_skips_a_run_while_the_previous_one_holds_the_lock(tmp_path: Path) -> None:
    import fcntl
    import os
    import subprocess

    env = {**os.environ, "PIPELINE_VAR_DIR": str(tmp_path)}
    (tmp_path / "run").mkdir()
    with open(tmp_path / "run" / "demo.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        skipped = subprocess.run(
            [str(REPO / "scripts" / "cron.sh"), "demo", "touch", str(tmp_path / "ran")], env=env, timeout=30
        )
    assert skipped.returncode == 0
    assert not (tmp_path / "ran").exists()
    assert "skipped" in (tmp_path / "log" / "demo.log").read_text()
    ran = subprocess.run(
        [str(REPO / "scripts" / "cron.sh"), "demo", "touch", str(tmp_path / "ran")], env=env, timeout=30
    )
    assert ran.returncode == 0
    assert (tmp_path / "ran").exists()


@pytest.mark.timeout(300)  # one real `pipeline` process per crontab line
def test_every_crontab_line_runs_from_crons_minimal_environment(tmp_path: Path, settings: Settings) -> None:
    """cron gives a command almost nothing: no venv on PATH, no exported variables, another cwd."""
    env_file = tmp_path / "pipeline.env"
    env_file.write_text(f"REDIS_URL={settings.redis_url}\nPIPELINE_VAR_DIR={tmp_path / 'var'}\n")
    for _schedule, command in _crontab_entries():
        name = command.split("scripts/cron.sh", 1)[1].split()[0]
        done = subprocess.run(
            ["/usr/bin/env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}", f"PROSPECT_HOME={REPO}",
             f"PIPELINE_ENV_FILE={env_file}", "/bin/sh", "-c", command],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        log = (tmp_path / "var" / "log" / f"{name}.log").read_text()
        # a check exits 1 while its problem lasts (here: no worker runs), anything else 0
        allowed = (0, 1) if "--check" in command else (0,)
        assert done.returncode in allowed, (command, done.stderr, log)
        assert f"{name}: exit {done.returncode}" in log, log
        assert "Traceback" not in log


def test_the_dashboard_refuses_to_bind_beyond_loopback_without_a_login(settings: Settings) -> None:
    from pipeline.netguard import is_loopback_host

    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("10.0.0.5")
    out = CliRunner().invoke(cli, ["dashboard", "--host", "0.0.0.0"], env={"REDIS_URL": settings.redis_url or ""})
    assert out.exit_code == 2
    assert "PIPELINE_DASHBOARD_USER" in out.output and "Traceback" not in out.output
