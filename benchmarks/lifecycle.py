"""Process lifecycle, measured on real processes: honcho with the real Procfile, redis-server, workers.

    .venv/bin/python -m benchmarks.lifecycle [PROCESS ...]   # Procfile processes (default: scrape)

1. start Redis and the `scrape` worker under honcho; ingest one lead whose site is down, so its
   scrape fails (transient) and a retry is scheduled;
2. SIGINT to honcho: count the log lines and tracebacks of the shutdown;
3. make the retry due while everything is down, restart, time until the retry ran;
4. kill -9 every process (honcho, worker, its scheduler, redis-server), restart Redis, make the
   retry due, restart honcho, time until the retry ran.

`Line` drives the processes; the tests in tests/test_lifecycle.py use it too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Line:
    """One pipeline installation in `var`: embedded Redis plus Procfile processes under honcho."""

    def __init__(self, var: Path, processes: tuple[str, ...] = ("scrape",), **settings: str) -> None:
        self.var = var
        self.processes = processes
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_") and k != "REDIS_URL"},
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "PIPELINE_ENV_FILE": os.devnull,
            "PIPELINE_VAR_DIR": str(var),
            **settings,
        }
        self.honcho: subprocess.Popen[bytes] | None = None
        self.log = var / "honcho.log"
        self.url = f"unix://{var / 'redis' / 'redis.sock'}"

    def pipeline(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a `pipeline` command with this line's settings."""
        return subprocess.run(
            [str(BIN / "pipeline"), *args], env=self.env, capture_output=True, text=True, check=check, timeout=60
        )

    def conn(self) -> redis.Redis:
        """A client on this line's Redis."""
        return redis.Redis.from_url(self.url)

    def start(self) -> float:
        """Start honcho with the real Procfile (these processes only); the monotonic start time."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - honcho writes to it until it stops
        started = time.monotonic()
        self.honcho = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-e", os.devnull, "-f", str(REPO / "Procfile"), "-d", str(REPO),
             "--no-colour", *self.processes],
            env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        out.close()
        return started

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 30) -> str:
        """Signal honcho, wait for it; the log it wrote since the signal."""
        assert self.honcho is not None
        before = self.log.stat().st_size
        self.honcho.send_signal(sig)
        self.honcho.wait(timeout_s)
        self.honcho = None
        return self.log.read_bytes()[before:].decode(errors="replace")

    def kill_everything(self) -> int:
        """kill -9 honcho, every process under it and the embedded redis-server; how many."""
        assert self.honcho is not None
        pids = [self.honcho.pid, *_children(self.honcho.pid)]
        redis_pid = (self.var / "redis" / "redis.pid").read_text().strip()
        pids.append(int(redis_pid))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.honcho.wait(10)
        self.honcho = None
        return len(pids)

    def wait(self, what: Callable[[], bool], timeout_s: float, poll_s: float = 0.1) -> float | None:
        """Seconds until `what()` holds, or None after `timeout_s`."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            try:
                if what():
                    return time.monotonic() - start
            except (redis.ConnectionError, OSError):
                pass
            time.sleep(poll_s)
        return None

    def close(self) -> None:
        """Stop whatever still runs (honcho's processes, the embedded Redis)."""
        if self.honcho is not None:
            for pid in [self.honcho.pid, *_children(self.honcho.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.honcho.wait(10)
        self.pipeline("redis", "stop", check=False)


def attempts(line: Line, lead: str) -> int:
    """Scrape attempts recorded for `lead`."""
    from pipeline.store import Store

    record = Store(line.conn()).get(lead)
    return record.attempts.get("scrape", 0) if record else 0


def make_due(line: Line) -> int:
    """Every scheduled scrape job becomes due now (as if its time passed while the line was down)."""
    conn = line.conn()
    key = "rq:scheduled:scrape"
    jobs = conn.zrange(key, 0, -1)
    for job in jobs:
        conn.zadd(key, {job: time.time() - 1})
    return len(jobs)


def ingest_failing_lead(line: Line) -> str:
    """Ingest one lead whose site refuses connections; its key."""
    csv = line.var / "leads.csv"
    csv.write_text(f"company,website,email\nDown Bakery,http://127.0.0.1:{closed_port()}/,hi@down.example\n")
    line.pipeline("ingest", str(csv))
    from pipeline.models import LeadState
    from pipeline.store import Store

    store = Store(line.conn())
    [key] = set().union(*(store.keys_in_state(s) for s in LeadState))
    return key


def shutdown_figures(log: str) -> tuple[int, int]:
    """(log lines of the processes, tracebacks) in a honcho shutdown log (honcho's own `system`
    lines are not counted)."""
    lines = [ln for ln in log.splitlines() if ln.strip() and " system " not in ln.split("|")[0]]
    return len(lines), log.count("Traceback (most recent call last)")


SETTINGS = {
    "PIPELINE_ALLOW_LOOPBACK": "1",
    "PIPELINE_FETCH_RETRIES": "0",
    "PIPELINE_FETCH_CONNECT_TIMEOUT_S": "1",
    "PIPELINE_RETRY_BASE_S": "600",  # the retry is scheduled far ahead; the run makes it due
    "PIPELINE_RETRY_CAP_S": '{"scrape": 600}',
}


def main() -> None:
    """Print the figures."""
    import tempfile

    var = Path(tempfile.mkdtemp(prefix="pl-life-", dir="/tmp"))
    line = Line(var, tuple(sys.argv[1:]) or ("scrape",), **SETTINGS)
    try:
        line.pipeline("redis", "start")
        line.start()
        lead = ingest_failing_lead(line)
        assert line.wait(lambda: line.conn().zcard("rq:scheduled:scrape") == 1, 60) is not None, "no retry"
        lines, tracebacks = shutdown_figures(line.stop(signal.SIGINT))
        print(f"clean stop (SIGINT to honcho): {lines} log line(s) from the processes, {tracebacks} traceback(s)")
        line.pipeline("redis", "start")  # a no-op now; code where Redis stopped with the Procfile needs it
        before = attempts(line, lead)
        make_due(line)
        line.start()
        clean = line.wait(lambda: attempts(line, lead) > before, 120)
        print(f"due retry after a clean restart ran after {clean:.1f} s" if clean else "due retry: not within 120 s")
        line.wait(lambda: line.conn().zcard("rq:scheduled:scrape") == 1, 60)
        killed = line.kill_everything()
        line.pipeline("redis", "start")
        stale = line.conn().get("rq:scheduler-lock:scrape") is not None
        before = attempts(line, lead)
        make_due(line)
        line.start()
        hard = line.wait(lambda: attempts(line, lead) > before, 120)
        print(f"kill -9 of {killed} processes (stale scheduler lock left: {stale}); due retry after the restart ran "
              + (f"after {hard:.1f} s" if hard else "not within 120 s"))  # fmt: skip
        line.stop(signal.SIGTERM)
    finally:
        line.close()


if __name__ == "__main__":
    main()
