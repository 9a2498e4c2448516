"""Prometheus metrics read from Redis, so the figures are right across many worker hosts.

Workers only count (a few HINCRBY in the job's own commit); `pipeline metrics` serves the figures
with a collector that reads Redis at every scrape: jobs by stage and outcome, job durations
(histograms), queue depths, DLQ size, leads by state, emails sent, open alerts, reconcile actions.

Keys: `pl:m:jobs` (hash `<stage>|<outcome>` → count), `pl:m:dur:<stage>` (hash of bucket counts,
`sum` and `count`), `pl:m:events` (hash `<name>|<label>` → count, e.g. `reconcile|requeued`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from pipeline import control
from pipeline.alerts import OPEN_ALERTS
from pipeline.models import LeadState, Stage
from pipeline.queues import stage_queue
from pipeline.store import Conn, Store

JOBS = "pl:m:jobs"
EVENTS = "pl:m:events"
BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def duration_key(stage: str) -> str:
    """Redis hash of one stage's duration histogram."""
    return f"pl:m:dur:{stage}"


def count_job(pipe: Conn, stage: str, outcome: str, seconds: float | None = None) -> None:
    """Count one job outcome (and its duration) inside the caller's pipeline or transaction."""
    pipe.hincrby(JOBS, f"{stage}|{outcome}", 1)
    if seconds is not None:
        key = duration_key(stage)
        pipe.hincrby(key, f"b{bisect.bisect_left(BUCKETS_S, seconds)}", 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        pipe.hincrby(key, "count", 1)


def count_event(pipe: Conn, name: str, label: str, n: int = 1) -> None:
    """Count an operational event, e.g. `count_event(conn, "reconcile", "requeued")`."""
    pipe.hincrby(EVENTS, f"{name}|{label}", n)


def _pairs(raw: dict[bytes, bytes]) -> Iterator[tuple[str, str, float]]:
    for field, value in raw.items():
        left, _, right = field.decode().partition("|")
        yield left, right, float(value)


class RedisCollector(Collector):
    """Reads the pipeline's state from Redis at every scrape."""

    def __init__(self, conn: redis.Redis) -> None:
        self.conn = conn

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        """Yield every metric family (one round of pipelined reads)."""
        jobs = CounterMetricFamily("pipeline_jobs", "Jobs finished, by stage and outcome.", labels=["stage", "outcome"])
        for stage, outcome, n in _pairs(self.conn.hgetall(JOBS)):  # type: ignore[arg-type]
            jobs.add_metric([stage, outcome], n)
        yield jobs

        hist = HistogramMetricFamily("pipeline_job_seconds", "Job duration by stage.", labels=["stage"])
        for stage in Stage:
            raw = {k.decode(): float(v) for k, v in self.conn.hgetall(duration_key(stage.value)).items()}  # type: ignore[union-attr]
            if not raw:
                continue
            cumulative, buckets = 0.0, []
            for i, bound in enumerate(BUCKETS_S):
                cumulative += raw.get(f"b{i}", 0.0)
                buckets.append((str(bound), cumulative))
            buckets.append(("+Inf", raw.get("count", 0.0)))
            hist.add_metric([stage.value], buckets, raw.get("sum", 0.0))
        yield hist

        events = CounterMetricFamily(
            "pipeline_events", "Operational events (reconcile, alerts, ...).", labels=["name", "label"]
        )
        for name, label, n in _pairs(self.conn.hgetall(EVENTS)):  # type: ignore[arg-type]
            events.add_metric([name, label], n)
        yield events

        depth = GaugeMetricFamily("pipeline_queue_jobs", "Jobs per stage queue and place.", labels=["stage", "place"])
        dlq = 0
        for stage in Stage:
            q = stage_queue(self.conn, stage)
            p = self.conn.pipeline(transaction=False)
            # raw counts: RQ's registry `.count` also cleans up expired entries, a write we must not do here
            p.llen(q.key)
            p.zcard(q.scheduled_job_registry.key)
            p.zcard(q.started_job_registry.key)
            p.zcard(q.failed_job_registry.key)
            queued, scheduled, started, failed = p.execute()
            dlq += failed
            for place, n in (("queued", queued), ("scheduled", scheduled), ("started", started), ("failed", failed)):
                depth.add_metric([stage.value, place], n)
        yield depth
        yield GaugeMetricFamily("pipeline_dlq_jobs", "Jobs in the dead-letter queue.", value=dlq)

        leads = GaugeMetricFamily("pipeline_leads", "Leads by state.", labels=["state"])
        for state, n in Store(self.conn).counts_by_state().items():
            leads.add_metric([LeadState(state).value], n)
        yield leads

        yield GaugeMetricFamily(
            "pipeline_paused", "1 while the line is paused.", value=int(control.state(self.conn).paused)
        )
        stages = GaugeMetricFamily(
            "pipeline_stage_paused", "1 while a stage is paused (breaker, canary).", labels=["stage"]
        )
        paused = control.paused_stages(self.conn)
        for stage in Stage:
            stages.add_metric([stage.value], int(stage.value in paused))
        yield stages
        yield GaugeMetricFamily("pipeline_open_alerts", "Open (firing) alerts.", value=self.conn.scard(OPEN_ALERTS))


def registry(conn: redis.Redis) -> CollectorRegistry:
    """A registry holding only the pipeline's collector (no process metrics of the exporter)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(RedisCollector(conn))
    return reg
