"""`pipeline pause|resume|status|dashboard`: operating the line."""

from __future__ import annotations

import os
import sys

import click
from rich.table import Table

from pipeline import control
from pipeline.alerts import Alerter
from pipeline.cli.common import App, ConfigProblem, console, emit_json, json_option, pass_app, user_errors
from pipeline.netguard import is_loopback_host
from pipeline.status import Status, snapshot


# --- pause / resume / status -------------------------------------------------------------------
@click.command("pause")
@click.option("--reason", required=True, help="Why; shown by `pipeline status`.")
@pass_app
@user_errors
def pause_cmd(app: App, reason: str) -> None:
    """Stop workers taking new jobs. Nothing queued is lost."""
    by = os.environ.get("USER", "operator")
    control.pause(app.conn, reason, by=by)
    Alerter(app.conn, app.settings).fire("paused", f"the line was paused by {by}: {reason}", "warning")
    console.print(f"paused: {reason}")


@click.command("resume")
@pass_app
@user_errors
def resume_cmd(app: App) -> None:
    """Let workers take jobs again."""
    control.resume(app.conn)
    stages = control.resume_stage(app.conn)
    alerter = Alerter(app.conn, app.settings)
    alerter.resolve("paused", "the line runs again")
    for stage in stages:
        alerter.resolve(f"breaker:{stage}", f"stage {stage} resumed")
    console.print("resumed" + (f" (and stage(s) {', '.join(stages)})" if stages else ""))


@click.command("status")
@click.option("--check", is_flag=True, help="Exit 1 with one line per problem (for cron and monitoring).")
@click.option("--alert", is_flag=True, help="With --check: raise (or resolve) the `line-health` alert too.")
@json_option
@pass_app
@user_errors
def status_cmd(app: App, check: bool, alert: bool, as_json: bool) -> None:
    """Pause state, queues with their live workers and scheduler, overdue retries, stuck leads,
    leads per state, the DLQ. It never starts Redis: a Redis that is down is exit 1 too.

    --check prints only the problems (no live worker on a queue, no scheduler while retries wait,
    overdue retries, leads running past their job timeout, a paused line or stage), one a line,
    and exits 1 when there is any."""
    s = snapshot(app.read_conn, app.settings, app.redis_url)
    if as_json:
        emit_json(s)
    elif check:
        for problem in s.problems:
            click.echo(problem)
        if not s.problems:
            click.echo("ok")
    else:
        _print_status(s)
    if check and alert:
        alerter = Alerter(app.read_conn, app.settings)
        if s.problems:
            alerter.fire("line-health", "; ".join(s.problems)[:900], "error")
        else:
            alerter.resolve("line-health", "no problem left")
    if check and s.problems:
        sys.exit(1)


def _print_status(s: Status) -> None:
    console.print(f"redis: {s.redis_url}")
    if s.pause.paused:
        console.print(f"[bold red]PAUSED[/] since {s.pause.since or '?'} by {s.pause.by or '?'}: {s.pause.reason}")
    else:
        console.print("running (not paused)")
    for stage, why in s.stages_paused.items():
        console.print(f"[bold red]STAGE {stage} PAUSED[/] since {why.since or '?'} by {why.by or '?'}: {why.reason}")
    if s.allow_loopback:
        console.print("[yellow]PIPELINE_ALLOW_LOOPBACK is on: loopback sites are accepted[/]")
    table = Table("stage", "queued", "scheduled", "overdue", "running", "failed (DLQ)", "workers", "scheduler")
    for q in s.queues:
        workers = ", ".join(f"{w.host}:{w.pid}" + (f" ({w.current_job})" if w.current_job else "") for w in q.workers)
        table.add_row(
            q.stage,
            str(q.queued),
            str(q.scheduled),
            str(q.overdue),
            str(q.running),
            str(q.failed),
            workers or "[bold red]none[/]",
            "yes" if q.scheduler else "no",
        )
    console.print(table)
    console.print("leads: " + ", ".join(f"{k} {v}" for k, v in s.leads.items()))
    for lead in s.stuck:
        console.print(f"[yellow]stuck[/]: {lead.key} running {lead.stage} for {lead.running_s}s")
    console.print(f"dead-letter queue: {s.dlq_size} job(s)")
    if s.sending:
        x = s.sending
        console.print(
            f"sending: {x['window_used']}/{x['window_cap']} in the last {x['window_s']}s, "
            f"{x['day_used']}/{x['day_cap']} in 24h; suppression list: {x['suppressed']} entries"
        )
    console.print("[bold red]problems[/]: " + "; ".join(s.problems) if s.problems else "no problems")


# --- dashboard -------------------------------------------------------------------------------
@click.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; beyond loopback needs a login.")
@click.option("--port", default=9181, show_default=True)
@pass_app
@user_errors
def dashboard_cmd(app: App, host: str, port: int) -> None:
    """rq-dashboard pointed at the pipeline's Redis (it never starts Redis). Bound beyond 127.0.0.1 it
    requires HTTP basic auth: PIPELINE_DASHBOARD_USER and PIPELINE_DASHBOARD_PASSWORD."""
    env = dict(os.environ)
    if not is_loopback_host(host):
        user, password = app.settings.dashboard_user, app.settings.dashboard_password
        if not (user and password):
            raise ConfigProblem(
                f"--host {host} exposes the dashboard beyond this machine: set PIPELINE_DASHBOARD_USER and "
                "PIPELINE_DASHBOARD_PASSWORD (HTTP basic auth), or bind 127.0.0.1"
            )
        env.update(RQ_DASHBOARD_USERNAME=user, RQ_DASHBOARD_PASSWORD=password)  # not argv: `ps` shows argv
    os.execvpe("rq-dashboard", ["rq-dashboard", "--bind", host, "--port", str(port), "--redis-url", app.redis_url], env)
