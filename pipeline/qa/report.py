"""`pipeline report RUN`: a static HTML report of one run, written to `var/reports/<run>/`.

Counts per terminal state, per-stage timings (from the leads' trails), gate outcomes per gate, and
one row per lead: state, gate verdicts, thumbnails (the screenshots the qa stage stored, written
next to the page), accessibility violations and failing links. Self-contained: open index.html.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.errors import InputError
from pipeline.models import GateReport, LeadRecord, LeadState, RunRecord, Stage
from pipeline.qa import artifacts
from pipeline.store import Store


@dataclass
class LeadRow:
    """One lead in the report."""

    record: LeadRecord
    report: GateReport | None
    thumbs: dict[str, str] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    bad_links: list[str] = field(default_factory=list)


def stage_timings(store: Store, keys: list[str]) -> dict[str, dict[str, float]]:
    """Per stage: jobs, mean, median, p95 and max seconds, from the trails' timed events."""
    seconds: dict[str, list[float]] = defaultdict(list)
    for key in keys:
        for ev in store.trail(key):
            if ev.seconds is not None and ev.stage:
                seconds[ev.stage].append(ev.seconds)
    out = {}
    for stage in Stage:
        values = sorted(seconds.get(stage.value, []))
        if values:
            out[stage.value] = {
                "jobs": len(values),
                "mean": round(statistics.fmean(values), 3),
                "median": round(statistics.median(values), 3),
                "p95": round(values[min(len(values) - 1, int(len(values) * 0.95))], 3),
                "max": round(values[-1], 3),
            }
    return out


def _row(store: Store, record: LeadRecord, folder: Path) -> LeadRow:
    report = store.get_output(record.key, Stage.QA, GateReport)
    row = LeadRow(record, report)
    if report is None:
        return row
    for view in report.screenshots:
        data = artifacts.load_screenshot(store.conn, record.key, view)
        if data:
            name = f"shots/{record.key}-{view}.webp"
            (folder / name).write_bytes(data)
            row.thumbs[view] = name
    for check in report.checks:
        if check.name == "accessibility":
            row.violations = list(check.evidence.get("violations", []))
        if check.name == "links" and check.status != "pass":
            row.bad_links = check.detail.split("; ")
    return row


def write_report(store: Store, run_id: str, out_dir: Path) -> Path:
    """Write the run's report; returns the path of its index.html."""
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id} (see `pipeline runs`)")
    folder = out_dir / run_id
    (folder / "shots").mkdir(parents=True, exist_ok=True)
    keys = sorted(store.run_leads(run_id))
    records = sorted(store.iter_leads(keys), key=lambda r: (r.state.value, r.lead.company))
    rows = [_row(store, r, folder) for r in records]
    gate_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        for check in row.report.checks if row.report else []:
            gate_counts[check.name][check.status] += 1
    html = _render(run, rows, stage_timings(store, keys), gate_counts, artifacts.run_counts(store.conn, run_id))
    index = folder / "index.html"
    index.write_text(html, encoding="utf-8")
    return index


def _render(
    run: RunRecord,
    rows: list[LeadRow],
    timings: dict[str, dict[str, float]],
    gate_counts: dict[str, Counter[str]],
    breaker: dict[str, int],
) -> str:
    env = Environment(loader=PackageLoader("pipeline", "themes/report"), autoescape=select_autoescape(["html"]))
    states = Counter(r.record.state.value for r in rows)
    return env.get_template("run.html").render(
        run=run,
        rows=rows,
        timings=timings,
        gate_counts=dict(gate_counts),
        breaker=breaker,
        states={s.value: states.get(s.value, 0) for s in LeadState},
        terminal={s.value for s in LeadState if s.terminal},
    )
