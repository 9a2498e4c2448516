"""`pipeline worker` and `pipeline drain`: long-running workers and the burst drain loop."""

from __future__ import annotations

import sys

import click

from pipeline import logs
from pipeline.cli.common import App, console, pass_app, user_errors


# --- workers ---------------------------------------------------------------------------------
@click.command("worker")
@click.option("--queues", "-q", default="all", show_default=True, help="Comma-separated stages, or 'all'.")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--with-scheduler/--no-scheduler", default=True, show_default=True, help="Also run RQ's scheduler.")
@click.option("--maintenance-interval-s", default=60, show_default=True, help="How often RQ's maintenance runs.")
@pass_app
@user_errors
def worker_cmd(app: App, queues: str, burst: bool, with_scheduler: bool, maintenance_interval_s: int) -> None:
    """Run a worker on some stage queues (one queue per process is the crash-safe choice).

    It never starts Redis: started before Redis answers, it waits with backoff (one log line per
    attempt). SIGINT/SIGTERM: one log line, the current job finishes, exit 0."""
    from workers.worker import make_worker

    conn = app.waited_conn("worker")
    if conn is None:
        return
    try:
        worker = make_worker(conn, app.settings, [q.strip() for q in queues.split(",") if q.strip()])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    if len(worker.queues) > 1:
        # RQ pops from several queues without its crash-safe intermediate list (RQ3-FACTS.md)
        click.echo("note: one queue per worker process is the crash-safe choice (see the Procfile)", err=True)
    worker.maintenance_interval = maintenance_interval_s
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logs.level())


@click.command("drain")
@click.option("--queues", "-q", default="all", show_default=True)
@click.option("--timeout-s", default=300.0, show_default=True, help="Give up after this long.")
@pass_app
@user_errors
def drain_cmd(app: App, queues: str, timeout_s: float) -> None:
    """Run burst workers (and retries as they fall due) until no job is pending."""
    from pipeline.drain import drain

    try:
        result = drain(app.conn, app.settings, [q for q in queues.split(",") if q], timeout_s=timeout_s)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    console.print(f"drain {result.outcome} after {result.seconds:.1f}s, {result.pending} job(s) pending")
    if result.outcome != "done":
        sys.exit(1)
