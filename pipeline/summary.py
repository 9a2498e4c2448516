"""The daily summary: what the line did on one day, for the operators' channel and the cron log."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import redis
from pydantic import BaseModel

from pipeline.models import LeadState
from pipeline.runs import dlq_size
from pipeline.store import Store


class DaySummary(BaseModel):
    """Counts of one UTC day."""

    day: date
    finished: dict[str, int]
    emails_sent: int
    top_failures: list[tuple[str, int]]
    dlq_size: int
    held_waiting: int
    runs_started: int

    def lines(self) -> list[str]:
        """The summary as short human lines."""
        out = [
            f"summary for {self.day:%Y-%m-%d} (UTC)",
            "leads finished: " + (", ".join(f"{k} {v}" for k, v in sorted(self.finished.items())) or "none"),
            f"emails sent: {self.emails_sent}",
            f"runs started: {self.runs_started}",
            f"held leads waiting for review: {self.held_waiting}",
            f"dead-letter queue: {self.dlq_size} job(s)",
        ]
        out += [f"top failure: {n} x {reason}" for reason, n in self.top_failures]
        return out


_VOLATILE = re.compile(r"\b[0-9a-f]{16}\b|\b\d+(\.\d+)?\b|https?://\S+")


def failure_reason(error: str) -> str:
    """An error text with ids, numbers and URLs folded, so equal causes group together."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown"
    return _VOLATILE.sub("…", first)[:120]


def summarise_day(conn: redis.Redis, day: date) -> DaySummary:
    """Leads that reached a terminal state on `day` (by their last update), and the line's backlog."""
    store = Store(conn)
    finished: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    held_waiting = 0
    for state in (s for s in LeadState if s.terminal):
        for rec in store.iter_leads(store.keys_in_state(state)):
            if state == LeadState.HELD:
                held_waiting += 1
            if rec.updated_at.date() != day:
                continue
            finished[state.value] += 1
            if state in (LeadState.DEAD, LeadState.HELD, LeadState.REJECTED) and rec.last_error:
                failures[failure_reason(rec.last_error)] += 1
    runs = [r for r in (store.get_run(i) for i in store.latest_runs(1000)) if r and r.started_at.date() == day]
    return DaySummary(
        day=day,
        finished=dict(finished),
        emails_sent=finished.get(LeadState.EMAILED.value, 0),
        top_failures=failures.most_common(5),
        dlq_size=dlq_size(conn),
        held_waiting=held_waiting,
        runs_started=len(runs),
    )
