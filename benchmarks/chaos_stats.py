"""Where a chaos run's time went, from the leads' trails: per stage, the jobs that ended (done, held,
degraded), their seconds (p50/p95), the busy share of the chaos phase they took per worker, the
queue wait before a stage's first attempt, and the events that cost a lead time (retries,
abandoned jobs, reconciles)."""

from __future__ import annotations

import contextlib
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.models import Stage
from pipeline.store import Store

TICKS = float(os.sysconf("SC_CLK_TCK"))
ENDED = ("done", "held", "emailed")
COSTLY = ("retrying", "abandoned", "reconciled", "dead-lettered")


@dataclass
class StageFigures:
    """One stage's figures."""

    seconds: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)


def host_cpu() -> tuple[float, float]:
    """The host's busy and total CPU seconds so far (/proc/stat, every core)."""
    try:
        with open("/proc/stat") as stat:
            fields = [float(v) for v in stat.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return (sum(fields) - idle) / TICKS, sum(fields) / TICKS


def tree_cpu(roots: Iterable[int]) -> dict[int, float]:
    """CPU seconds used so far by each root process with all its descendants (live ones, and the
    ones they reaped), from /proc; a root that is gone is left out."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{entry}/stat") as f:
                    rest = f.read().rsplit(")", 1)[1].split()
                stats[int(entry)] = (int(rest[1]), sum(float(v) for v in rest[11:15]) / TICKS)
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _) in stats.items():
        children[ppid].append(pid)
    out = {}
    for root in roots:
        if root in stats:
            todo, total = [root], 0.0
            while todo:
                pid = todo.pop()
                total += stats[pid][1]
                todo += children.get(pid, [])
            out[root] = total
    return out


def cpu_report(
    before: tuple[float, float], after: tuple[float, float], wall: float, stages: Counter[str], harness: float, out: Any
) -> None:
    """How busy the host was under fire, and whose CPU seconds those were."""
    used, total = after[0] - before[0], after[1] - before[1]
    share = used / total if total else 0.0
    parts = ", ".join(f"{s.value} {stages[s.value]:.0f}" for s in Stage)
    print(f"host CPU {share:.0%} busy during the {wall:.0f} s under fire: {used:.0f} CPU-s", file=out)
    print(
        f"  CPU-s of the workers with their Chromium: {parts}; this harness (sites, SMTP, proxy) {harness:.0f}",
        file=out,
    )


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def collect(store: Store, keys: Iterable[str], started: float) -> dict[str, StageFigures]:
    """Per-stage figures of these leads (`started`: the epoch second the line started)."""
    stages: dict[str, StageFigures] = defaultdict(StageFigures)
    for key in keys:
        ready = started
        for ev in store.trail(key):
            if ev.stage is None:
                continue
            fig = stages[ev.stage]
            fig.events[ev.event] += 1
            if ev.event == "started" and ev.attempt == 1:
                fig.waits.append(max(0.0, ev.at.timestamp() - ready))
            elif ev.event in ENDED and ev.seconds is not None:
                fig.seconds.append(ev.seconds)
                ready = ev.at.timestamp()
    return stages


def report(stages: dict[str, StageFigures], wall: float, workers: dict[str, int], out: Any) -> None:
    """Print the table."""
    print(
        f"{'stage':<7} {'workers':>7} {'jobs':>5} {'p50 s':>6} {'p95 s':>6} {'busy':>5} {'wait p50':>8} "
        f"{'wait p95':>8}  {' '.join(COSTLY)}",
        file=out,
    )
    for stage in Stage:
        fig = stages.get(stage.value, StageFigures())
        n = workers.get(stage.value, 1)
        busy = sum(fig.seconds) / (wall * n) if wall else 0.0
        costly = " ".join(f"{fig.events[e]:>{len(e)}}" for e in COSTLY)
        print(
            f"{stage.value:<7} {n:>7} {len(fig.seconds):>5} {pct(fig.seconds, 0.5):>6.2f} "
            f"{pct(fig.seconds, 0.95):>6.2f} {busy:>5.0%} {pct(fig.waits, 0.5):>8.1f} {pct(fig.waits, 0.95):>8.1f}  "
            f"{costly}",
            file=out,
        )
    mean = {s: statistics.fmean(f.seconds) for s, f in stages.items() if f.seconds}
    if mean:
        slow = max(mean, key=lambda s: mean[s] / workers.get(s, 1))
        n = workers.get(slow, 1)
        print(f"slowest stage per worker: {slow} ({mean[slow]:.2f} s a job, {n} worker(s))", file=out)
