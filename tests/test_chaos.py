"""The chaos suite in small (`make chaos` runs it with 1,000 leads): real workers SIGKILLed and
restarted, a Redis restart, commits cut before EXEC, workers dying right after dequeue, faulty
sites and SMTP; afterwards no lead is stranded and no email went twice."""

from __future__ import annotations

import io

import pytest

from benchmarks.chaos import ChaosConfig, report, run
from benchmarks.chaos_faults import Faults


@pytest.mark.slow
@pytest.mark.timeout(900)  # ~30 s on a quiet host; minutes on a shared, overloaded one
def test_a_small_chaos_run_strands_nothing_and_sends_nothing_twice() -> None:
    cfg = ChaosConfig(
        leads=24,
        workers={"scrape": 2},
        chaos_s=16,
        kill_every_s=2,
        doomed_every=3,
        exec_cuts=3,
        reconcile_every_s=5,
        quiet_timeout_s=300,
        faults=Faults(seed=21),
    )
    out = io.StringIO()

    figures = run(cfg, out)

    report(figures, out)
    assert figures.violations == [], out.getvalue()
    assert figures.stranded == 0 and figures.duplicates == 0
    assert figures.kills >= 2 and figures.redis_restarts == 1 and figures.doomed >= 1
    assert sum(figures.terminal.values()) == 24
