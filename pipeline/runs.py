"""Runs as the operators see them: counts per state, SLA status, and the scheduled checks that raise
alerts (SLA miss, stale inbox, DLQ growth) and resolve them when they clear.

A run is *done* when every lead it brought in is terminal; it *missed* its SLA when it has
non-terminal leads past its deadline. Checks are idempotent: cron may run them as often as it likes,
the alerter's de-duplication keeps the operators' channels quiet.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Literal

import redis
from pydantic import BaseModel

from pipeline.alerts import Alerter
from pipeline.models import LeadState, RunRecord, Stage, utcnow
from pipeline.queues import stage_queue
from pipeline.settings import Settings
from pipeline.store import PREFIX, Store

SlaStatus = Literal["done", "open", "missed"]
DLQ_SEEN = f"{PREFIX}dlq:seen"


class RunSummary(BaseModel):
    """One run with its leads counted by state."""

    run_id: str
    source: str
    started_at: datetime
    deadline: datetime | None
    leads: int
    states: dict[str, int]
    sla: SlaStatus
    held: str | None = None

    @property
    def open_leads(self) -> int:
        """Leads of the run not yet in a terminal state."""
        return sum(n for s, n in self.states.items() if not LeadState(s).terminal)


def summarise(store: Store, run: RunRecord, now: datetime | None = None) -> RunSummary:
    """Count a run's leads by state and judge its SLA."""
    states = Counter(rec.state.value for rec in store.iter_leads(store.run_leads(run.run_id)))
    open_leads = sum(n for s, n in states.items() if not LeadState(s).terminal)
    now = now or utcnow()
    sla: SlaStatus = "done" if not open_leads else ("missed" if run.deadline and now > run.deadline else "open")
    return RunSummary(
        run_id=run.run_id,
        source=run.source,
        started_at=run.started_at,
        deadline=run.deadline,
        leads=sum(states.values()),
        states=dict(states),
        sla=sla,
        held=run.held,
    )


def recent(store: Store, limit: int = 20) -> list[RunSummary]:
    """The newest runs, newest first."""
    out = []
    for run_id in store.latest_runs(limit):
        run = store.get_run(run_id)
        if run is not None:
            out.append(summarise(store, run))
    return out


def check_sla(store: Store, alerter: Alerter, lookback: int = 200) -> list[RunSummary]:
    """Alert on every recent run past its deadline with open leads; resolve runs that finished."""
    missed = []
    for summary in recent(store, lookback):
        key = f"sla:{summary.run_id}"
        if summary.sla == "missed":
            missed.append(summary)
            alerter.fire(
                key,
                f"run {summary.run_id} ({summary.source}) missed its SLA: {summary.open_leads} lead(s) not finished",
                details={"deadline": f"{summary.deadline:%Y-%m-%d %H:%M} UTC" if summary.deadline else "-"},
            )
        else:
            alerter.resolve(key, f"run {summary.run_id} has no open leads any more")
    return missed


def last_ingest(store: Store) -> datetime | None:
    """When the newest run started (any host's ingest), None before the first."""
    runs = store.latest_runs(1)
    run = store.get_run(runs[0]) if runs else None
    return run.started_at if run else None


def check_freshness(store: Store, alerter: Alerter, settings: Settings) -> timedelta | None:
    """Alert when no CSV has been ingested for `freshness_max_age_h`; returns the age when stale."""
    last = last_ingest(store)
    if last is None:  # a new installation: nothing to be stale yet
        return None
    age = utcnow() - last
    if age > timedelta(hours=settings.freshness_max_age_h):
        hours = age.total_seconds() / 3600
        alerter.fire(
            "stale-inbox", f"no CSV ingested for {hours:.1f} h (limit {settings.freshness_max_age_h} h)", "warning"
        )
        return age
    alerter.resolve("stale-inbox", "a new CSV was ingested")
    return None


def dlq_size(conn: redis.Redis) -> int:
    """Jobs in the dead-letter queue (raw counts: no registry clean-up from here)."""
    p = conn.pipeline(transaction=False)
    for stage in Stage:
        p.zcard(stage_queue(conn, stage).failed_job_registry.key)
    return int(sum(p.execute()))


def check_dlq(conn: redis.Redis, alerter: Alerter, settings: Settings) -> int:
    """Alert when the DLQ grew by `alert_dlq_growth` or more since the last check; resolve when empty.
    Returns the growth."""
    size = dlq_size(conn)
    seen = int(conn.getset(DLQ_SEEN, size) or 0)
    growth = size - seen
    if growth >= settings.alert_dlq_growth and growth > 0:
        alerter.fire("dlq-growth", f"{growth} new dead-lettered job(s); {size} in the DLQ", details={"dlq": str(size)})
    elif size == 0:
        alerter.resolve("dlq-growth", "the dead-letter queue is empty")
    return growth
