"""The process lifecycle on real processes: honcho with the real Procfile, redis-server, workers.
A clean stop logs one line per process and no traceback; after a restart, clean or after kill -9
of every process, a retry that is due runs within 15 s; a worker started before Redis waits."""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from rq import Worker

from benchmarks.lifecycle import (
    SETTINGS,
    Line,
    attempts,
    closed_port,
    ingest_failing_lead,
    make_due,
    shutdown_figures,
)

DUE_RETRY_BOUND_S = 15


@pytest.fixture
def short_var() -> Iterator[Path]:
    """A var dir with a short path (unix socket paths are limited to ~107 bytes)."""
    var = Path(tempfile.mkdtemp(prefix="pl-lc-", dir="/tmp"))
    yield var
    shutil.rmtree(var, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_worker_waits_for_redis_and_after_a_clean_stop_or_a_kill_of_everything_a_due_retry_runs_in_time(
    short_var: Path,
) -> None:
    ports = {"PIPELINE_PREVIEW_PORT": str(closed_port()), "PIPELINE_METRICS_PORT": str(closed_port())}
    line = Line(short_var, ("scrape", "preview", "metrics"), **SETTINGS, **ports)
    try:
        # Given a worker (and the metrics exporter) started before Redis: they wait with backoff
        line.start()
        assert line.wait(lambda: line.log.read_text().count("waiting for Redis at") >= 2, 60) is not None, (
            line.log.read_text()
        )
        line.pipeline("redis", "start")
        assert line.wait(lambda: len(Worker.all(connection=line.conn())) == 1, 30) is not None, line.log.read_text()

        # Given a lead that failed to scrape and waits for its retry
        lead = ingest_failing_lead(line)
        assert line.wait(lambda: line.conn().zcard("rq:scheduled:scrape") == 1, 90) is not None, line.log.read_text()
        status = json.loads(line.pipeline("status", "--json").stdout)
        [scrape] = [q for q in status["queues"] if q["stage"] == "scrape"]
        assert scrape["scheduler"] and [w["pid"] > 0 for w in scrape["workers"]] == [True], status

        # When honcho gets SIGINT: one line from each process, no traceback, Redis still up
        lines, tracebacks = shutdown_figures(line.stop(signal.SIGINT))
        assert (lines, tracebacks) == (3, 0), line.log.read_text()
        assert line.conn().ping()

        # Then after a restart the retry, due meanwhile, runs within the bound
        before = attempts(line, lead)
        make_due(line)
        line.start()
        assert line.wait(lambda: attempts(line, lead) > before, DUE_RETRY_BOUND_S) is not None, line.log.read_text()

        # When every process is killed (honcho, worker, scheduler, redis-server) and all restarted
        assert line.wait(lambda: line.conn().zcard("rq:scheduled:scrape") == 1, 30) is not None
        line.kill_everything()
        line.pipeline("redis", "start")
        assert line.conn().get("rq:scheduler-lock:scrape") is not None  # the dead scheduler's lock survived
        before = attempts(line, lead)
        make_due(line)
        line.start()

        # Then the stale lock does not block the retry
        assert line.wait(lambda: attempts(line, lead) > before, DUE_RETRY_BOUND_S) is not None, line.log.read_text()
        assert "scheduler lock of scrape was stale" in line.log.read_text()
    finally:
        line.close()
