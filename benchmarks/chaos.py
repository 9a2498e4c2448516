"""The project's chaos suite (`make chaos`): the whole line under fire, then proof nothing strands.

Real `pipeline worker` processes (one queue each) run on a private Redis (append-only, fsync
always) while a killer SIGKILLs a random worker every few seconds and restarts it, workers that
die right after dequeue take jobs into RQ's intermediate list, the build workers talk to Redis
through a proxy that cuts some commit transactions just before EXEC, Redis itself is killed and
restarted mid-run, the prospect sites stall/reset/5xx/truncate and the SMTP server answers
4xx/5xx, drops mid-DATA or loses its final reply. Then: workers stop, `pipeline reconcile` and two
`pipeline drain`s at once run until quiet, and the invariants are checked: every lead in exactly
one terminal state, no Message-ID or recipient twice at the SMTP server, no email for a lead whose
gates failed, every permanent send failure compensated, DLQ = dead leads; then `dlq requeue
--all` must converge to the same invariants.

    python -m benchmarks.chaos --leads 1000            # prints the figures; exit 1 on a violation
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from benchmarks import chaos_stats
from benchmarks.chaos_faults import Faults, FaultySites, FaultySmtp
from benchmarks.chaos_line import (
    CHAOS_TRADE_OFFS,
    PIPELINE,
    REPO,
    Line,
    RedisServer,
    active,
    age_intermediate,
    chaos_values,
    env_for,
    pipeline,
    scheduler,
    write_csv,
)
from pipeline import ingest, runtime
from pipeline.models import GateReport, LeadRecord, LeadState, SiteBundle, Stage
from pipeline.queues import all_queues, parse_job_id
from pipeline.reconcile import reconcile
from pipeline.settings import Settings
from pipeline.store import Store, state_key
from tests.support.redis_proxy import CutRule, redis_proxy
from tests.support.servers import serve_directory


@dataclass
class ChaosConfig:
    """One chaos run."""

    leads: int = 1000
    chaos_s: float = 420.0  # the killer stops after this long (or once every lead is terminal)
    kill_every_s: float = 5.0  # ~85 kills while 1,000 leads go through (each qa kill costs a Chromium start)
    # worker processes per stage (one queue each): qa's Chromium gates are the costly stage
    workers: dict[str, int] = field(default_factory=lambda: {"scrape": 2, "qa": 3})
    redis_restarts: int = 1
    doomed_every: int = 4  # every n-th kill tick, a worker also dies right after taking a job
    exec_cuts: int = 10  # commit transactions cut before EXEC (every 5th of the build workers')
    quiet_timeout_s: float = 600.0
    reconcile_every_s: float = 15.0  # cron's `pipeline reconcile`, compressed in time
    seed: int = 15
    keep: bool = False  # keep logs and data even when every invariant holds
    faults: Faults = field(default_factory=Faults)
    settings: dict[str, Any] = field(default_factory=dict)  # overrides of the line's chaos settings


@dataclass
class Figures:
    """What a run did and found."""

    leads: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0  # the host's busy CPU seconds over the whole run (every process on it)
    under_fire_s: float = 0.0  # how long the killer ran
    terminal_under_fire: int = 0  # leads terminal when the killer stopped (the rest: reconcile + drains)
    kills: int = 0
    doomed: int = 0
    redis_restarts: int = 0
    revived: int = 0  # workers that quit by themselves (Redis gone) and were restarted
    exec_cuts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    terminal: dict[str, int] = field(default_factory=dict)
    stranded: int = 0
    reconciled: int = 0
    violations: list[str] = field(default_factory=list)
    duplicates: int = 0
    emails: int = 0
    before_requeue: dict[str, int] = field(default_factory=dict)  # terminal counts before `dlq requeue --all`


def _reconciler(settings: Settings, every_s: float, stop: threading.Event, figures: Figures) -> None:
    """`pipeline reconcile` as cron runs it, every few seconds here (the grace period is 3 s)."""
    while not stop.wait(every_s):
        with contextlib.suppress(redis.RedisError, OSError):
            conn = redis.Redis.from_url(str(settings.redis_url))
            figures.reconciled += reconcile(conn, settings).requeued
            conn.close()


def settle(env: dict[str, str], settings: Settings, timeout_s: float, figures: Figures) -> bool:
    """Reconcile and two drains at once, until every lead is terminal; False on timeout."""
    conn = redis.Redis.from_url(str(settings.redis_url))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        age_intermediate(conn)
        figures.reconciled += reconcile(conn, settings).requeued
        if active(conn) == 0:
            return True
        drains = [
            subprocess.Popen([PIPELINE, "drain", "--timeout-s", "20"], env=env, cwd=REPO, stdout=subprocess.DEVNULL)
            for _ in range(2)
        ]
        for d in drains:
            try:
                d.wait(timeout=300)  # a drain ends between jobs; a Chromium qa job may take minutes here
            except subprocess.TimeoutExpired:
                d.kill()
                d.wait()
    return active(conn) == 0


def check(conn: redis.Redis, smtp: FaultySmtp, sites_dir: Path, keys: set[str], figures: Figures) -> list[str]:
    """The invariants; returns the violations (empty when all hold)."""
    bad: list[str] = []
    store = Store(conn)
    members: Counter[str] = Counter()
    for state in LeadState:
        members.update(m.decode() for m in conn.smembers(state_key(state)))  # type: ignore[union-attr]
    records = {r.key: r for r in store.iter_leads(keys)}
    figures.terminal = dict(Counter(r.state.value for r in records.values()))
    active = [k for k, r in records.items() if not r.state.terminal]
    figures.stranded = len(active)
    if active:
        bad.append(f"{len(active)} lead(s) not terminal, e.g. {_explain(records[active[0]])}")
    twice = [k for k, n in members.items() if n > 1]
    if twice or set(members) != keys or len(records) != len(keys):
        bad.append(f"state index: {len(twice)} lead(s) in two states, {len(keys ^ set(members))} missing/extra")
    ids = Counter(d.message_id for d in smtp.handler.delivered)
    rcpts = Counter(r for d in smtp.handler.delivered for r in d.recipients)
    figures.emails = len(smtp.handler.delivered)
    figures.duplicates = sum(n - 1 for n in ids.values() if n > 1) + sum(n - 1 for n in rcpts.values() if n > 1)
    if figures.duplicates:
        bad.append(f"{figures.duplicates} duplicate email(s) at the SMTP server")
    for key, record in records.items():
        report = store.get_output(key, Stage.QA, GateReport)
        if report is not None and not report.passed and record.lead.email in rcpts:
            bad.append(f"lead {key} was emailed although its gates failed")
        refused = record.state == LeadState.REJECTED or "SMTP 5" in (record.last_error or "")
        if record.stage == Stage.EMAIL and record.state in (LeadState.DEAD, LeadState.REJECTED) and refused:
            bundle = store.get_output(key, Stage.BUILD, SiteBundle)
            if bundle is not None and (sites_dir / bundle.slug).exists():
                bad.append(f"lead {key}: permanent send failure but site {bundle.slug} still deployed")
    dlq = set()
    for q in all_queues(conn):
        for jid in conn.zrange(q.failed_job_registry.key, 0, -1):
            key, _, generation = parse_job_id(jid.decode())
            if key in records and records[key].generation == generation:
                dlq.add(key)
    dead = {k for k, r in records.items() if r.state == LeadState.DEAD}
    if dlq != dead:
        bad.append(f"DLQ != dead leads: {len(dlq - dead)} in the DLQ only, {len(dead - dlq)} dead only")
    return bad


def _explain(record: LeadRecord) -> str:
    last = record.history[-1] if record.history else None
    return (
        f"{record.key} {record.state.value} at {record.stage.value}: {last.event if last else ''} {record.last_error}"
    )


def line_layout(cfg: ChaosConfig) -> list[str]:
    """The worker processes per stage, as `stage=n`."""
    return [f"{s.value}={cfg.workers.get(s.value, 1)}" for s in Stage]


def run(cfg: ChaosConfig, out: Any = sys.stdout) -> Figures:
    """One chaos run; returns its figures (violations listed in them)."""
    figures = Figures(leads=cfg.leads)
    start, host0 = time.monotonic(), chaos_stats.host_cpu()
    root = Path(tempfile.mkdtemp(prefix="chaos-", dir="/tmp"))
    server = RedisServer(root)
    sites, smtp = FaultySites(cfg.faults), FaultySmtp(cfg.faults)
    var, logs = root / "var", root / "logs"
    (var / "sites").mkdir(parents=True)
    logs.mkdir()
    stop = threading.Event()
    rule = CutRule(marker=b"pl:out:", times=cfg.exec_cuts, every=5)
    line: Line | None = None
    try:
        with serve_directory(var / "sites") as preview, redis_proxy(server.url, rule) as proxied:
            values = {**chaos_values(server.url, var, preview, smtp.port), **cfg.settings}
            settings = Settings(**values)
            runtime.install(settings)
            env = env_for(values)
            env["TMPDIR"] = str(root / "tmp")  # what killed Chromiums leave behind goes with the run
            (root / "tmp").mkdir()
            conn = redis.Redis.from_url(server.url)
            report_ = ingest.ingest_file(write_csv(root / "leads.csv", sites, cfg.leads), conn, settings)
            keys = Store(conn).run_leads(report_.run_id)
            print(f"chaos: {len(keys)} leads ingested; workers starting: {' '.join(line_layout(cfg))}", file=out)
            print(f"chaos run settings: {CHAOS_TRADE_OFFS}", file=out)
            threading.Thread(target=scheduler, args=(server.url, stop), daemon=True).start()
            threading.Thread(
                target=_reconciler, args=(settings, cfg.reconcile_every_s, stop, figures), daemon=True
            ).start()
            line = Line(env, {**env, "REDIS_URL": proxied}, cfg.workers, logs)
            t0, cpu0, harness0 = time.time(), chaos_stats.host_cpu(), time.process_time()
            _chaos(cfg, conn, server, line, env, figures, out)
            line.stop()
            stop.set()
            chaos_wall, cpu1 = time.time() - t0, chaos_stats.host_cpu()
            figures.under_fire_s, figures.terminal_under_fire = chaos_wall, len(keys) - active(conn)
            print(f"chaos over after {time.monotonic() - start:.0f}s: reconcile + two drains at once", file=out)
            chaos_stats.cpu_report(cpu0, cpu1, chaos_wall, line.cpu, time.process_time() - harness0, out)
            chaos_stats.report(chaos_stats.collect(Store(conn), keys, t0), chaos_wall, cfg.workers, out)
            settle(env, settings, cfg.quiet_timeout_s, figures)
            print(f"settled after {time.monotonic() - start:.0f}s; {rule.cuts} commit(s) cut", file=out)
            figures.exec_cuts = rule.cuts
            figures.violations = check(conn, smtp, var / "sites", keys, figures)
            figures.before_requeue = dict(figures.terminal)
            # Operators requeue the dead: that must converge to the same invariants.
            pipeline(env, "dlq", "requeue", "--all")
            settle(env, settings, cfg.quiet_timeout_s, figures)
            figures.violations += [f"after dlq requeue: {v}" for v in check(conn, smtp, var / "sites", keys, figures)]
    finally:
        stop.set()
        if line is not None:
            line.stop()
        sites.close()
        smtp.close()
        server.kill()
    figures.faults = dict(cfg.faults.injected)
    figures.seconds = time.monotonic() - start
    figures.cpu_s = chaos_stats.host_cpu()[0] - host0[0]
    if figures.violations or cfg.keep:
        print(f"chaos: logs and data kept in {root}", file=out)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def _chaos(
    cfg: ChaosConfig,
    conn: redis.Redis,
    server: RedisServer,
    line: Line,
    env: dict[str, str],
    figures: Figures,
    out: Any,
) -> None:
    """The killer: every few seconds SIGKILL a random worker that is up (registered in Redis) and
    restart it; now and then a worker that dies right after dequeue; Redis killed and restarted."""
    rng = random.Random(cfg.seed)
    restarts_at = [cfg.chaos_s * (i + 1) / (cfg.redis_restarts + 2) for i in range(cfg.redis_restarts)]
    waited = time.monotonic()
    while len(line.registered(conn)) < len(line.slots) and time.monotonic() - waited < 120:
        time.sleep(0.5)  # the clock starts once the line is up (process start-up is slow on a busy host)
    print(f"  line up after {time.monotonic() - waited:.0f}s", file=out)
    t0 = time.monotonic()
    tick = 0
    while time.monotonic() - t0 < cfg.chaos_s:
        time.sleep(cfg.kill_every_s)
        tick += 1
        line.sample()
        figures.revived += line.revive()
        with contextlib.suppress(redis.RedisError):
            up = line.registered(conn)
            if up:
                i = rng.choice(up)
                line.kill(i)
                figures.kills += 1
                line.start(i)
        if tick % cfg.doomed_every == 0:
            cmd = [sys.executable, "-m", "tests.support.doomed", server.url, rng.choice(line.slots), "after-dequeue"]
            subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            figures.doomed += 1
        if restarts_at and time.monotonic() - t0 > restarts_at[0]:
            restarts_at.pop(0)
            server.kill()
            server.start()
            figures.redis_restarts += 1
        with contextlib.suppress(redis.RedisError):
            counts = {s.value: n for s, n in Store(conn).counts_by_state().items() if n}
            print(f"  t={time.monotonic() - t0:4.0f}s kills={figures.kills} {counts}", file=out)
            if active(conn) == 0 and not restarts_at:
                return


def report(figures: Figures, out: Any = sys.stdout) -> None:
    """Print the figures."""
    print(
        f"leads            {figures.leads} in {figures.seconds:.0f}s ({figures.cpu_s:.0f} CPU-s busy on the host); "
        f"{figures.terminal_under_fire} terminal when the killer stopped after {figures.under_fire_s:.0f}s",
        file=out,
    )
    print(
        f"kills            {figures.kills} workers SIGKILLed, {figures.doomed} died right after dequeue, "
        f"{figures.revived} restarted after quitting",
        file=out,
    )
    print(
        f"redis            {figures.redis_restarts} restart(s), {figures.exec_cuts} commit(s) cut before EXEC", file=out
    )
    print(f"faults           {sum(figures.faults.values())}: {dict(sorted(figures.faults.items()))}", file=out)
    print(f"reconcile        {figures.reconciled} lead(s) re-enqueued", file=out)
    print(f"terminal         {dict(sorted(figures.before_requeue.items()))}", file=out)
    print(f"after requeue    {dict(sorted(figures.terminal.items()))} (dlq requeue --all, settled again)", file=out)
    print(f"stranded         {figures.stranded}", file=out)
    print(f"emails           {figures.emails} accepted at the SMTP server, {figures.duplicates} duplicate(s)", file=out)
    print(f"violations       {len(figures.violations)}", file=out)
    for v in figures.violations[:20]:
        print(f"  - {v}", file=out)


def main() -> None:
    """`python -m benchmarks.chaos`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--chaos-s", type=float, default=420.0, help="how long the killer runs at most")
    parser.add_argument("--kill-every-s", type=float, default=ChaosConfig.kill_every_s)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep logs and data under /tmp/chaos-*")
    parser.add_argument("--workers", default="", help="worker processes per stage, e.g. scrape=4,qa=2")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting of the line")
    args = parser.parse_args()
    workers = ChaosConfig().workers
    workers.update({k: int(v) for k, v in (w.split("=") for w in args.workers.split(",") if w)})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cfg = ChaosConfig(
        leads=args.leads,
        chaos_s=args.chaos_s,
        kill_every_s=args.kill_every_s,
        seed=args.seed,
        keep=args.keep,
        faults=Faults(args.seed),
        workers=workers,
        settings=dict(kv.split("=", 1) for kv in args.set),
    )
    figures = run(cfg)
    report(figures)
    sys.exit(1 if figures.violations else 0)


if __name__ == "__main__":
    main()
