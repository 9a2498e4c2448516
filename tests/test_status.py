"""A status that tells the truth: live workers per queue, the scheduler, overdue retries, leads
running past their job timeout; `status --check` exits 1 with one line per problem; every read
command has a stable `--json`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.models import LeadState, Stage
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, write_csv


def run(settings: Settings, *args: str) -> tuple[int, str]:
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def ingest_one(settings: Settings, tmp_path: Path) -> str:
    path = write_csv(tmp_path / "in.csv", [lead_row("Acme Bakery", "acme.example.com", "hi@acme.example.com")])
    code, output = run(settings, "ingest", str(path), "--json")
    assert code == 0, output
    report = json.loads(output)
    assert set(report) == {"reports", "failed"} and report["reports"][0]["enqueued"] == 1
    return str(report["reports"][0]["run_id"])


def test_status_check_names_every_problem_of_a_line_without_workers(
    settings: Settings, conn: redis.Redis, tmp_path: Path
) -> None:
    # Given queued work, a retry long overdue with no scheduler, and a lead stuck in `running`
    ingest_one(settings, tmp_path)
    conn.zadd("rq:scheduled:email", {"x-email-1": time.time() - 600})
    store = Store(conn)
    [key] = store.keys_in_state(LeadState.QUEUED)
    record = store.get(key)
    assert record is not None
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    store.save(record.model_copy(update={"state": LeadState.RUNNING, "stage": Stage.BUILD, "updated_at": hour_ago}))

    # When cron asks
    code, output = run(settings, "status", "--check")

    # Then it fails with one line per problem
    assert code == 1
    lines = output.strip().splitlines()
    assert "no live worker on queue scrape (1 queued)" in lines
    assert "no scheduler for queue email: 1 retry(ies) wait for one" in lines
    assert any(line.startswith("1 scheduled job(s) of email overdue, the oldest by 6") for line in lines)
    assert any(line.startswith(f"lead {key} running build for 36") for line in lines)
    assert len(lines) == len(set(lines)) == 5 + 3  # a line per queue without workers, scheduler, overdue, stuck


def test_status_json_has_the_documented_fields(settings: Settings, conn: redis.Redis) -> None:
    code, output = run(settings, "status", "--json")
    assert code == 0
    status = json.loads(output)
    assert {"redis_url", "pause", "queues", "leads", "stuck", "dlq_size", "problems"} <= set(status)
    assert {"stage", "queued", "scheduled", "overdue", "running", "failed", "workers", "scheduler"} <= set(
        status["queues"][0]
    )


def test_every_read_command_speaks_json(settings: Settings, conn: redis.Redis, tmp_path: Path) -> None:
    ingest_one(settings, tmp_path)
    code, output = run(settings, "leads", "--json")
    assert code == 0
    [lead] = json.loads(output)
    assert lead["lead"]["company"] == "Acme Bakery" and lead["state"] == "queued"
    code, output = run(settings, "lead", lead["key"], "--json")
    assert code == 0 and set(json.loads(output)) == {"record", "trail"}
    code, output = run(settings, "dlq", "list", "--json")
    assert (code, json.loads(output)) == (0, [])
