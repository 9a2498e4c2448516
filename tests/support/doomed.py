"""Worker processes that die by SIGKILL at a chosen moment, for the stranding and chaos tests.

Run as `python -m tests.support.doomed REDIS_URL QUEUE MOMENT` with MOMENT `after-dequeue` (the job
is left in RQ's intermediate list) or `in-job` (the job is `started` in the StartedJobRegistry).
The kill is real: the process gets SIGKILL from itself, nothing in product code is touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis
from rq import Queue
from rq.job import Job

from pipeline import runtime
from pipeline.settings import Settings
from workers.worker import PipelineWorker

REPO = Path(__file__).resolve().parents[2]


class DiesAfterDequeue(PipelineWorker):
    """Takes one job from its queue (LMOVE into the intermediate list), then dies."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Die before anything is recorded about the job."""
        os.kill(os.getpid(), signal.SIGKILL)


class DiesInJob(PipelineWorker):
    """Starts one job (StartedJobRegistry, status `started`), then dies."""

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        """Die right after the job is marked started."""
        self.prepare_job_execution(job, remove_from_intermediate_queue=len(self.queues) == 1)
        os.kill(os.getpid(), signal.SIGKILL)
        return False  # not reached


def run_doomed(redis_url: str, queue: str, moment: str, env: dict[str, str] | None = None) -> int:
    """Run a doomed worker on one queue in a child process; returns its exit code (-9)."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.doomed", redis_url, queue, moment],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    return proc.returncode


def main() -> None:
    """Entry point of the child process."""
    url, queue, moment = sys.argv[1:4]
    conn = redis.Redis.from_url(url)
    runtime.install(Settings(REDIS_URL=url))  # type: ignore[call-arg]
    cls = DiesAfterDequeue if moment == "after-dequeue" else DiesInJob
    cls([Queue(queue, connection=conn)], connection=conn).work(burst=True, logging_level="WARNING")


if __name__ == "__main__":
    main()
