"""`pipeline`: the one entry point for people, cron, the Procfile and the Makefile.

User errors are `click.ClickException`s: a clear message and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 error, 2 usage, 3 ingest finished but rejected some rows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import redis
from pydantic import ValidationError
from rich.table import Table

from pipeline import control, ingest, logs, redis_conn, runtime
from pipeline.cli_common import App, console, pass_app, user_errors
from pipeline.cli_dlq import dlq_group
from pipeline.cli_leads import lead_cmd, leads_cmd
from pipeline.cli_site import serve, site
from pipeline.errors import InputError
from pipeline.settings import Settings
from pipeline.status import snapshot

EXIT_REJECTED_ROWS = 3


@click.group()
@click.option("--log-level", default="INFO", envvar="PIPELINE_LOG_LEVEL", show_default=True)
@click.version_option(package_name="prospect-pipeline")
@click.pass_context
def cli(ctx: click.Context, log_level: str) -> None:
    """Website-first outreach: CSV → scrape → build → deploy → qa → email, on Redis/RQ."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings in the environment:\n{exc}") from None
    logs.setup(log_level.upper())
    runtime.install(settings)
    ctx.obj = App(settings)


# --- redis -----------------------------------------------------------------------------------
@cli.group("redis")
def redis_group() -> None:
    """The embedded Redis (used when REDIS_URL is not set)."""


@redis_group.command("start")
@pass_app
@user_errors
def redis_start(app: App) -> None:
    """Start the embedded Redis (no-op if it runs, or if REDIS_URL is set)."""
    if app.settings.redis_url:
        console.print(f"REDIS_URL is set; using {app.settings.redis_url}, nothing started")
        return
    url = redis_conn.start_embedded(app.settings)
    console.print(f"embedded Redis running at {url} (pid {redis_conn.embedded_pid(app.settings)})")


@redis_group.command("stop")
@pass_app
def redis_stop(app: App) -> None:
    """Stop the embedded Redis (it writes its append-only file first)."""
    stopped = redis_conn.stop_embedded(app.settings)
    console.print("embedded Redis stopped" if stopped else "embedded Redis was not running")


@redis_group.command("status")
@pass_app
def redis_status(app: App) -> None:
    """Say which Redis is in force and whether it answers."""
    url = app.redis_url
    try:
        ok = bool(redis_conn.connect(app.settings, start=False).ping())
    except redis.ConnectionError:
        ok = False
    console.print(f"{url}: {'up' if ok else 'down'}")
    if not ok:
        sys.exit(1)


@redis_group.command("run", hidden=True)
@pass_app
def redis_run(app: App) -> None:
    """Start the embedded Redis and stay in the foreground until it stops (the Procfile's process).
    Ctrl-C or SIGTERM (honcho's stop) shuts the server down cleanly."""
    import signal
    import time

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    if app.settings.redis_url:
        # Under honcho, a process that exits stops all the others: stay up, doing nothing.
        console.print(f"REDIS_URL is set ({app.settings.redis_url}); no embedded Redis to run")
        signal.pause()
        return
    redis_conn.start_embedded(app.settings)
    try:
        while redis_conn.embedded_pid(app.settings):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        redis_conn.stop_embedded(app.settings)


# --- ingest ----------------------------------------------------------------------------------
def _print_report(r: ingest.IngestReport) -> None:
    console.print(
        f"{r.source}: accepted {r.accepted}, rejected {r.rejected}, duplicate {r.duplicate}, "
        f"enqueued {r.enqueued}  (run {r.run_id})"
    )
    if r.rejects_file:
        console.print(f"  rejects: {r.rejects_file}")
    if r.archived_to:
        console.print(f"  archived: {r.archived_to}")


@cli.command("ingest")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inbox", type=click.Path(path_type=Path, file_okay=False), help="Ingest every *.csv in this folder.")
@pass_app
@user_errors
def ingest_cmd(app: App, file: Path | None, inbox: Path | None) -> None:
    """Validate a prospects CSV and enqueue one job per new lead.

    Required columns: company, website, email. Bad rows go to a rejects CSV; exit code 3 says some
    rows were rejected. A FILE is copied to the archive; inbox files are moved there."""
    if (file is None) == (inbox is None):
        raise click.UsageError("give a FILE or --inbox DIR (one of them)")
    if file is not None:
        report = ingest.ingest_file(file, app.conn, app.settings, move=False)
        _print_report(report)
        if report.rejected:
            sys.exit(EXIT_REJECTED_ROWS)
        return
    assert inbox is not None
    failed, rejected = 0, 0
    files = ingest.inbox_files(inbox, app.settings.inbox_min_age_s)
    if not files:
        console.print(f"{inbox}: no CSV files waiting")
    for path in files:
        try:
            report = ingest.ingest_file(path, app.conn, app.settings, move=True)
        except InputError as exc:
            failed += 1
            moved = ingest.quarantine(path, inbox, str(exc))
            click.echo(f"error: {exc} (moved to {moved})", err=True)
            continue
        _print_report(report)
        rejected += report.rejected
    if failed:
        raise click.ClickException(f"{failed} file(s) could not be read")
    if rejected:
        sys.exit(EXIT_REJECTED_ROWS)


# --- workers ---------------------------------------------------------------------------------
@cli.command("worker")
@click.option("--queues", "-q", default="all", show_default=True, help="Comma-separated stages, or 'all'.")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--with-scheduler/--no-scheduler", default=True, show_default=True, help="Also run RQ's scheduler.")
@click.option("--maintenance-interval-s", default=60, show_default=True, help="How often RQ's maintenance runs.")
@pass_app
@user_errors
def worker_cmd(app: App, queues: str, burst: bool, with_scheduler: bool, maintenance_interval_s: int) -> None:
    """Run a worker on some stage queues (one queue per process is the crash-safe choice)."""
    from workers.worker import make_worker

    try:
        worker = make_worker(app.conn, app.settings, [q.strip() for q in queues.split(",") if q.strip()])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    if len(worker.queues) > 1:
        # RQ pops from several queues without its crash-safe intermediate list (RQ3-FACTS.md)
        click.echo("note: one queue per worker process is the crash-safe choice (see the Procfile)", err=True)
    worker.maintenance_interval = maintenance_interval_s
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logs.level())


@cli.command("drain")
@click.option("--queues", "-q", default="all", show_default=True)
@click.option("--timeout-s", default=300.0, show_default=True, help="Give up after this long.")
@pass_app
@user_errors
def drain_cmd(app: App, queues: str, timeout_s: float) -> None:
    """Run burst workers (and retries as they fall due) until no job is pending."""
    from workers.worker import drain

    try:
        result = drain(app.conn, app.settings, [q for q in queues.split(",") if q], timeout_s=timeout_s)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from None
    console.print(f"drain {result.outcome} after {result.seconds:.1f}s, {result.pending} job(s) pending")
    if result.outcome != "done":
        sys.exit(1)


# --- pause / resume / status -------------------------------------------------------------------
@cli.command("pause")
@click.option("--reason", required=True, help="Why; shown by `pipeline status`.")
@pass_app
@user_errors
def pause_cmd(app: App, reason: str) -> None:
    """Stop workers taking new jobs. Nothing queued is lost."""
    control.pause(app.conn, reason, by=os.environ.get("USER", "operator"))
    console.print(f"paused: {reason}")


@cli.command("resume")
@pass_app
@user_errors
def resume_cmd(app: App) -> None:
    """Let workers take jobs again."""
    control.resume(app.conn)
    console.print("resumed")


@cli.command("status")
@pass_app
@user_errors
def status_cmd(app: App) -> None:
    """Pause state, queue depths, leads per state, DLQ size."""
    s = snapshot(app.conn, app.settings, app.redis_url)
    console.print(f"redis: {s.redis_url}")
    if s.pause.paused:
        console.print(f"[bold red]PAUSED[/] since {s.pause.since or '?'} by {s.pause.by or '?'}: {s.pause.reason}")
    else:
        console.print("running (not paused)")
    if s.allow_loopback:
        console.print("[yellow]PIPELINE_ALLOW_LOOPBACK is on: loopback sites are accepted[/]")
    table = Table("stage", "queued", "scheduled", "running", "failed (DLQ)")
    for q in s.queues:
        table.add_row(q.stage, str(q.queued), str(q.scheduled), str(q.running), str(q.failed))
    console.print(table)
    console.print("leads: " + ", ".join(f"{k} {v}" for k, v in s.leads.items()))
    console.print(f"dead-letter queue: {s.dlq_size} job(s)")


# --- dashboard -------------------------------------------------------------------------------
@cli.command("dashboard")
@click.option("--port", default=9181, show_default=True)
@pass_app
@user_errors
def dashboard_cmd(app: App, port: int) -> None:
    """rq-dashboard on 127.0.0.1, pointed at the pipeline's Redis."""
    app.conn.ping()  # starts the embedded Redis if needed
    os.execvp(
        "rq-dashboard", ["rq-dashboard", "--bind", "127.0.0.1", "--port", str(port), "--redis-url", app.redis_url]
    )


for command in (dlq_group, leads_cmd, lead_cmd, site, serve):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point. An unexpected error is reported in one line (the traceback goes
    to the log at DEBUG level), never as a raw traceback."""
    import logging

    try:
        cli(auto_envvar_prefix="PIPELINE", standalone_mode=True)
    except Exception as exc:
        logging.getLogger("pipeline.cli").debug("unexpected error", exc_info=True)
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (rerun with --log-level DEBUG for details)", err=True
        )
        sys.exit(1)
