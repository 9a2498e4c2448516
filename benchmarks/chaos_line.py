"""The chaos suite's line: a private Redis that can be killed and restarted, the worker processes
the killer picks from, the one scheduler, and the settings every process of a run shares."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from rq import Worker

from benchmarks.chaos_faults import BOUNCE_EVERY, FaultySites
from benchmarks.chaos_stats import tree_cpu
from pipeline import redis_conn
from pipeline.drain import enqueue_due
from pipeline.models import TERMINAL_STATES, Stage
from pipeline.queues import all_queues
from pipeline.store import Store

REPO = Path(__file__).resolve().parents[1]
PIPELINE = str(Path(sys.executable).parent / "pipeline")


class RedisServer:
    """A private redis-server process (append-only, fsync always) that can be killed and restarted."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.dir.mkdir(parents=True)
        self.sock = self.dir / "r.sock"
        self.url = f"unix://{self.sock}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start (or restart on the same data) and wait until it answers."""
        self.sock.unlink(missing_ok=True)
        args = [str(redis_conn.redis_binary()), "--port", "0", "--unixsocket", str(self.sock), "--dir", str(self.dir)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "redis.log"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError, OSError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("chaos: redis-server did not start")

    def kill(self) -> None:
        """SIGKILL the server."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


class Line:
    """The worker processes of the line, one queue each, that the killer picks from."""

    def __init__(self, env: dict[str, str], proxied_env: dict[str, str], workers: dict[str, int], logs: Path) -> None:
        self.env, self.proxied_env, self.logs = env, proxied_env, logs
        self.slots = [s.value for s in Stage for _ in range(workers.get(s.value, 1))]
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * len(self.slots)
        self.cpu: Counter[str] = Counter()  # CPU seconds per stage: worker processes with their Chromium
        self._last: dict[int, float] = {}  # pid -> its tree's CPU seconds when last sampled
        for i in range(len(self.slots)):
            self.start(i)

    def start(self, i: int) -> None:
        """Start worker slot i."""
        stage = self.slots[i]
        env = self.proxied_env if stage == Stage.BUILD else self.env
        cmd = [PIPELINE, "worker", "--queues", stage, "--no-scheduler", "--maintenance-interval-s", "5"]
        with open(self.logs / f"worker-{i}-{stage}.log", "ab") as log:
            self.procs[i] = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=REPO)

    def registered(self, conn: redis.Redis) -> list[int]:
        """Slots whose worker is up: alive and registered in Redis (so a kill hits a working one)."""
        pids = {w.pid for w in Worker.all(connection=conn)}
        return [i for i, p in enumerate(self.procs) if p is not None and p.poll() is None and p.pid in pids]

    def revive(self) -> int:
        """Restart every worker that exited by itself (a lost Redis makes them quit), as a process
        supervisor would; returns how many."""
        dead = [i for i, p in enumerate(self.procs) if p is not None and p.poll() is not None]
        for i in dead:
            self._account(i)
            self.start(i)
        return len(dead)

    def sample(self) -> None:
        """Note the CPU time of every worker's process tree (a killed one counts what it had used)."""
        self._last.update(tree_cpu(p.pid for p in self.procs if p is not None))

    def _account(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None:
            self._last.update(tree_cpu([proc.pid]))
            self.cpu[self.slots[i]] += self._last.pop(proc.pid, 0.0)

    def kill(self, i: int) -> None:
        """SIGKILL worker slot i."""
        proc = self.procs[i]
        if proc is not None:
            self._account(i)
            proc.kill()
            proc.wait()
            self.procs[i] = None

    def stop(self) -> None:
        """Stop every worker (SIGKILL: as brutal as the rest)."""
        for i in range(len(self.slots)):
            self.kill(i)


def pipeline(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PIPELINE, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def scheduler(url: str, stop: threading.Event) -> None:
    """The line's one scheduler (workers run without theirs, so a kill never strands its lock)."""
    while not stop.is_set():
        with contextlib.suppress(redis.RedisError, OSError):
            conn = redis.Redis.from_url(url)
            enqueue_due(conn, all_queues(conn))
            conn.close()
        stop.wait(1.0)


def active(conn: redis.Redis) -> int:
    counts = Store(conn).counts_by_state()
    return sum(n for s, n in counts.items() if s not in TERMINAL_STATES)


def age_intermediate(conn: redis.Redis) -> None:
    """Time travel for jobs stuck in RQ's intermediate lists (their worker died right after taking
    them): mark them first seen two minutes ago, so the next maintenance pass fails them now
    instead of a minute from now. Only in the quiet phase, when no worker holds a job there."""
    for q in all_queues(conn):
        for jid in q.intermediate_queue.get_job_ids():
            conn.set(q.intermediate_queue.get_first_seen_key(jid), time.time() - 120, ex=3600)


# What a chaos run leaves out, and why (printed with the figures; README "No lead stranded"). The
# suite is about recovery, not brand quality, and 1,000 leads must fit in 10 minutes on 2 cores.
CHAOS_TRADE_OFFS = (
    "scrape without the Chromium renderer (PIPELINE_SCRAPE_RENDER=off: brand colours from the static "
    "CSS parser); qa runs every real gate in Chromium (on the reused page, PIPELINE_QA_REUSE_PAGE), "
    "external links judged by the address guard only (PIPELINE_QA_CHECK_EXTERNAL_LINKS=0: the host is offline)"
)


def chaos_values(url: str, var: Path, preview: str, smtp_port: int) -> dict[str, Any]:
    """The line's settings for a chaos run: fast retries, short timeouts, SMTP to the faulty server,
    and the trade-offs of `CHAOS_TRADE_OFFS`."""
    return {
        "REDIS_URL": url,
        "var_dir": var,
        "allow_loopback": True,
        "public_base_url": preview,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_timeout_s": 5.0,
        "sender_postal_address": "1 Chaos Street, Testville",
        "send_cap_per_window": 1_000_000,
        "send_cap_per_day": 1_000_000,
        "send_domain_cap": 1_000_000,
        "scrape_offsite_assets": False,
        "scrape_render": "off",
        "qa_reuse_page": True,
        "qa_check_external_links": False,
        "fetch_retries": 0,
        "fetch_connect_timeout_s": 2.0,
        "fetch_read_timeout_s": 2.0,
        "fetch_deadline_s": 4.0,
        "retry_base_s": 1.0,
        "retry_cap_s": dict.fromkeys([s.value for s in Stage], 2),
        "job_timeout_s": {"scrape": 20, "build": 30, "deploy": 20, "qa": 120, "email": 20},  # qa: Chromium
        "reconcile_grace_s": 3,
    }


def env_for(values: dict[str, Any]) -> dict[str, str]:
    """The same settings as environment variables for the worker and CLI processes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_") and k != "REDIS_URL"}
    for name, value in values.items():
        var = name if name == "REDIS_URL" else f"PIPELINE_{name.upper()}"
        env[var] = (
            json.dumps(value) if isinstance(value, dict) else str(int(value) if isinstance(value, bool) else value)
        )
    env["PIPELINE_LOG_LEVEL"] = "WARNING"
    return env


def write_csv(path: Path, sites: FaultySites, n: int) -> Path:
    lines = ["company,website,email"]
    for i in range(n):
        who = "bounce" if i % BOUNCE_EVERY == 11 else "owner"
        lines.append(f"Chaos Shop {i},{sites.url(i)},{who}{i}@shop{i}.example.com")
    path.write_text("\n".join(lines) + "\n")
    return path
