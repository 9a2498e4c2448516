"""`pipeline runs|wait|summary|alerts|metrics|check-sla|check-freshness|check-dlq`: watching the line.

The `check-*` commands are for cron: each raises (or resolves) a de-duplicated alert and exits 1
while its problem lasts, so the cron log shows it too.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import metrics, runctl, runs, summary
from pipeline.alerts import Alerter
from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.errors import InputError
from pipeline.models import utcnow

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (a stable format) instead of a table.")


@click.group("runs", invoke_without_command=True)
@click.option("--limit", default=20, show_default=True, help="How many runs, newest first.")
@json_option
@click.pass_context
@user_errors
def runs_cmd(ctx: click.Context, limit: int, as_json: bool) -> None:
    """Runs with their leads counted per state and their SLA status (done, open, missed);
    `pipeline runs approve RUN` releases a run held for schema drift."""
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(App)
    assert app is not None
    found = runs.recent(app.store(read_only=True), limit)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in found]))
        return
    table = Table("run", "source", "started (UTC)", "leads", "open", "states", "SLA")
    for r in found:
        states = ", ".join(f"{k} {v}" for k, v in sorted(r.states.items()))
        sla = {"missed": "[red]missed[/]", "open": "open", "done": "[green]done[/]"}[r.sla]
        if r.held:
            sla += " [bold red]HELD[/]"
        table.add_row(
            r.run_id, r.source, f"{r.started_at:%Y-%m-%d %H:%M}", str(r.leads), str(r.open_leads), states, sla
        )
    console.print(table)


@runs_cmd.command("approve")
@click.argument("run_id")
@pass_app
@user_errors
def runs_approve_cmd(app: App, run_id: str) -> None:
    """Release a run held for schema drift: enqueue its leads."""
    n = runctl.approve(app.conn, app.settings, run_id, by=os.environ.get("USER", "operator"))
    Alerter(app.conn, app.settings).resolve(f"schema-drift:{run_id}", f"run {run_id} approved")
    console.print(f"run {run_id} approved: {n} lead(s) enqueued")


@click.command("wait")
@click.argument("run_id")
@click.option("--timeout-s", default=0.0, help="Give up (exit 1) after this long; 0 waits for ever.")
@click.option("--poll-s", default=1.0, show_default=True, help="How often to look.")
@pass_app
@user_errors
def wait_cmd(app: App, run_id: str, timeout_s: float, poll_s: float) -> None:
    """Wait until every lead of RUN is terminal, with a live progress bar on a terminal."""
    store = app.store(read_only=True)
    run = store.get_run(run_id)
    if run is None:
        raise InputError(f"no run {run_id!r} (see `pipeline runs`)")
    start = time.monotonic()
    with Progress(
        TextColumn(f"run {run_id}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not console.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task("leads", total=None)
        while True:
            s = runs.summarise(store, run)
            bar.update(task, total=s.leads, completed=s.leads - s.open_leads)
            if not s.open_leads:
                break
            if timeout_s and time.monotonic() - start > timeout_s:
                console.print(f"run {run_id}: {s.open_leads} of {s.leads} lead(s) still open after {timeout_s:.0f}s")
                sys.exit(1)
            time.sleep(poll_s)
    console.print(
        f"run {run_id}: all {s.leads} lead(s) terminal: " + ", ".join(f"{k} {v}" for k, v in s.states.items())
    )


@click.command("summary")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="UTC day (default: today).")
@click.option("--post/--no-post", default=True, show_default=True, help="Also post it to the alert channels.")
@json_option
@pass_app
@user_errors
def summary_cmd(app: App, day: object, post: bool, as_json: bool) -> None:
    """What the line did on one day: finished leads per state, emails, top failures, DLQ, held."""
    the_day = day.date() if hasattr(day, "date") else utcnow().date()
    assert isinstance(the_day, date)
    s = summary.summarise_day(app.read_conn, the_day)
    if as_json:
        click.echo(s.model_dump_json())
    else:
        for line in s.lines():
            console.print(line)
    if post:
        Alerter(app.read_conn, app.settings).post(f"summary:{the_day}", "\n".join(s.lines()))


@click.command("alerts")
@json_option
@pass_app
@user_errors
def alerts_cmd(app: App, as_json: bool) -> None:
    """Open (firing) alerts with their event counts."""
    open_alerts = Alerter(app.read_conn, app.settings, chans=[]).open_alerts()
    if as_json:
        click.echo(json.dumps([{"key": k, "count": c} for k, c in open_alerts.items()]))
        return
    if not open_alerts:
        console.print("no open alerts")
    for key, count in open_alerts.items():
        console.print(f"{key}: {count} event(s)")


@click.command("check-sla")
@pass_app
@user_errors
def check_sla_cmd(app: App) -> None:
    """Alert on runs past their SLA deadline with leads still open (exit 1 while any)."""
    missed = runs.check_sla(app.store(read_only=True), Alerter(app.read_conn, app.settings))
    for s in missed:
        console.print(f"SLA missed: run {s.run_id} ({s.source}): {s.open_leads} open lead(s), deadline {s.deadline}")
    if missed:
        sys.exit(1)
    console.print("SLA: no run past its deadline")


@click.command("check-freshness")
@pass_app
@user_errors
def check_freshness_cmd(app: App) -> None:
    """Alert when no CSV was ingested for PIPELINE_FRESHNESS_MAX_AGE_H hours (exit 1 while stale)."""
    age = runs.check_freshness(app.store(read_only=True), Alerter(app.read_conn, app.settings), app.settings)
    if age is not None:
        console.print(f"stale: no CSV ingested for {age.total_seconds() / 3600:.1f} h")
        sys.exit(1)
    console.print("fresh: the inbox is being fed")


@click.command("check-dlq")
@pass_app
@user_errors
def check_dlq_cmd(app: App) -> None:
    """Alert when the dead-letter queue grew since the last check (exit 1 when it did)."""
    growth = runs.check_dlq(app.read_conn, Alerter(app.read_conn, app.settings), app.settings)
    if growth > 0:
        console.print(f"DLQ grew by {growth} job(s)")
        sys.exit(1)
    console.print("DLQ: no growth")


@click.command("metrics")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, help="Port (default PIPELINE_METRICS_PORT).")
@pass_app
@user_errors
def metrics_cmd(app: App, host: str, port: int | None) -> None:
    """Serve Prometheus metrics read from Redis (one process for every worker host)."""
    from prometheus_client import start_http_server

    conn = app.waited_conn("metrics")  # a Procfile process: wait for Redis, never exit for it
    if conn is None:
        return
    server, _thread = start_http_server(port or app.settings.metrics_port, host, metrics.registry(conn))
    console.print(f"metrics on http://{host}:{server.server_address[1]}/metrics")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()


COMMANDS = (runs_cmd, wait_cmd, summary_cmd, alerts_cmd, check_sla_cmd, check_freshness_cmd, check_dlq_cmd, metrics_cmd)
