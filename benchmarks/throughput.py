"""End-to-end throughput on local sites with the Procfile's worker layout.

    .venv/bin/python benchmarks/throughput.py [--leads 30] [--timeout-s 900] [--preview-port 8890]

The example prospect sites (examples/sites) are served on 127.0.0.1; `--leads` leads spread over them
(distinct emails, so distinct leads) are ingested with `pipeline ingest`, then one
`pipeline worker --queues X` process per Procfile worker line runs them, on a redis-server of the
benchmark's own, with the preview server (`pipeline serve`) the QA stage checks the sites on. Prints
leads/hour, per-stage p50/p95 durations and queue waits (from the leads' trails) and each stage's
busy share of the wall time. The baseline, from the same run, is the rate the slowest stage allows
with one worker (3600 / its mean seconds): the ratio says how much of that the line achieved.
Goal (issue 20): >= 150,000 leads/hour with the default Procfile, and no stage the lone bottleneck.
Stops by itself: after `--timeout-s` it reports the leads that finished.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import overhead  # noqa: E402
from pipeline.models import TERMINAL_STATES, Stage  # noqa: E402
from pipeline.redis_conn import embedded_url  # noqa: E402
from pipeline.store import Store, state_key  # noqa: E402
from tests.support.servers import serve_directory  # noqa: E402

SITES = REPO / "examples" / "sites"
BIN = REPO / ".venv" / "bin"


def procfile_workers() -> list[list[str]]:
    """The argv of every `pipeline worker` line of the Procfile."""
    lines = (REPO / "Procfile").read_text().splitlines()
    cmds = [line.split(":", 1)[1].split() for line in lines if ":" in line]
    return [[str(BIN / "pipeline"), *cmd[1:]] for cmd in cmds if cmd[:2] == ["pipeline", "worker"]]


def write_csv(path: Path, origins: list[tuple[str, str]], leads: int) -> None:
    """`leads` rows over the served sites, each with its own email (so its own lead)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["company", "website", "email", "first_name"])
        for i in range(leads):
            name, url = origins[i % len(origins)]
            w.writerow([f"{name} {i}", url, f"owner{i}@{name}.example.com", "Ann"])


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    """Serve the sites, ingest, run the Procfile workers until every lead is terminal, report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leads", type=int, default=30)
    ap.add_argument("--timeout-s", type=float, default=900)
    ap.add_argument("--preview-port", type=int, default=8890)
    args = ap.parse_args()
    if args.leads < 1:
        raise SystemExit("--leads must be at least 1")
    with overhead.own_redis() as (conn, var_dir), ExitStack() as stack:
        settings = overhead.bench_settings(var_dir)
        env = {
            **os.environ,
            "REDIS_URL": embedded_url(settings),
            "PIPELINE_VAR_DIR": str(var_dir),
            "PIPELINE_ALLOW_LOOPBACK": "1",
            "PIPELINE_DRIFT_CHECK": "0",
            "PIPELINE_FETCH_RETRIES": "0",
            "PIPELINE_QA_CHECK_EXTERNAL_LINKS": "0",
            "PIPELINE_PREVIEW_PORT": str(args.preview_port),
            "PIPELINE_SENDER_POSTAL_ADDRESS": "1 Example Street, Bristol BS1 1AA, UK",
            "PIPELINE_REPLY_TO": "team@bench.localhost",
            "PIPELINE_LOG_LEVEL": "WARNING",
            # the send throttle is deliverability policy, not throughput: lifted here, or every
            # lead past 10 per recipient domain would wait for the next hour's window
            "PIPELINE_SEND_CAP_PER_WINDOW": "1000000",
            "PIPELINE_SEND_CAP_PER_DAY": "1000000",
            "PIPELINE_SEND_DOMAIN_CAP": "1000000",
        }
        env.pop("PIPELINE_ENV_FILE", None)
        origins = [(d.name, stack.enter_context(serve_directory(d))) for d in sorted(SITES.iterdir()) if d.is_dir()]
        path = var_dir / "leads.csv"
        write_csv(path, origins, args.leads)
        subprocess.run([str(BIN / "pipeline"), "ingest", str(path)], env=env, check=True, capture_output=True)
        procs = [subprocess.Popen([str(BIN / "pipeline"), "serve"], env=env, stdout=subprocess.DEVNULL)]
        started = time.time()
        try:
            for argv in procfile_workers():
                procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            done = 0
            while time.time() - started < args.timeout_s:
                done = sum(int(conn.scard(state_key(s))) for s in TERMINAL_STATES)
                if done >= args.leads:
                    break
                time.sleep(0.5)
            wall = time.time() - started
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=60)
        report(conn, args.leads, done, wall, started, len(procs) - 1)


def report(conn: object, leads: int, done: int, wall: float, started: float, workers: int) -> None:
    """Per-stage figures from the leads' trails, then the line's rate and its ratio to the bound."""
    store = Store(conn)  # type: ignore[arg-type]
    seconds: dict[str, list[float]] = defaultdict(list)
    waits: dict[str, list[float]] = defaultdict(list)
    states: dict[str, int] = defaultdict(int)
    for raw in conn.scan_iter(match="pl:lead:*"):  # type: ignore[attr-defined]
        key = raw.decode().removeprefix("pl:lead:")
        record = store.get(key)
        if record is not None:
            states[record.state.value] += 1
        ready = started
        for ev in store.trail(key):
            if ev.stage is None:
                continue
            if ev.event == "started" and ev.attempt == 1:
                waits[ev.stage].append(max(0.0, ev.at.timestamp() - ready))
            elif ev.seconds is not None:
                seconds[ev.stage].append(ev.seconds)
                ready = ev.at.timestamp()
    print(f"throughput: {done} of {leads} leads terminal in {wall:.1f} s with {workers} Procfile workers")
    print("states: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    print(f"{'stage':<8} {'jobs':>5} {'p50 s':>7} {'p95 s':>7} {'wait p50':>9} {'wait p95':>9} {'busy':>6}")
    slowest = 0.0
    for stage in Stage:
        s, w = seconds[stage.value], waits[stage.value]
        busy = sum(s) / wall if wall else 0.0
        if s:
            slowest = max(slowest, statistics.fmean(s))
        print(
            f"{stage.value:<8} {len(s):>5} {pct(s, 0.5):>7.2f} {pct(s, 0.95):>7.2f} "
            f"{pct(w, 0.5):>9.2f} {pct(w, 0.95):>9.2f} {busy:>6.0%}"
        )
    rate = done / wall * 3600 if wall else 0.0
    bound = 3600 / slowest if slowest else 0.0
    print(f"leads/hour: {rate:,.0f} (goal >= 150,000); slowest stage allows {bound:,.0f}/h with one worker")
    if bound:
        print(f"ratio achieved / slowest-stage bound: {rate / bound:.2f}x")


if __name__ == "__main__":
    main()
