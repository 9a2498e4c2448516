"""`pipeline`: the one entry point for people, cron, the Procfile and the Makefile.

User errors are `click.ClickException`s: a clear message and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 error, 2 usage, 3 ingest finished but rejected some rows.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click
import redis
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from pipeline import control, dlq, ingest, logs, redis_conn, runtime
from pipeline.errors import InputError
from pipeline.models import LeadState
from pipeline.settings import Settings
from pipeline.status import snapshot
from pipeline.store import Store

F = TypeVar("F", bound=Callable[..., Any])
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
EXIT_REJECTED_ROWS = 3


@dataclass
class App:
    """What every command gets: the settings and, on first use, a Redis connection."""

    settings: Settings
    _conn: redis.Redis | None = field(default=None, repr=False)

    @property
    def conn(self) -> redis.Redis:
        """Connection to the Redis in force (starts the embedded one when needed)."""
        if self._conn is None:
            self._conn = redis_conn.connect(self.settings)
        return self._conn

    @property
    def redis_url(self) -> str:
        """The Redis URL in force."""
        return redis_conn.redis_url(self.settings)

    def store(self) -> Store:
        """The lead store."""
        return Store(self.conn, self.settings.output_ttl_s)


def user_errors(fn: F) -> F:
    """Turn our errors and Redis outages into clean CLI errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            raise click.ClickException(str(exc)) from None
        except redis.ConnectionError as exc:
            raise click.ClickException(f"cannot reach Redis: {exc}") from None

    return wrapper  # type: ignore[return-value]


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


pass_app = click.make_pass_decorator(App)


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
    """Start the embedded Redis and stay in the foreground until it stops (the Procfile's process)."""
    import time

    if app.settings.redis_url:
        # Under honcho, a process that exits stops all the others: stay up, doing nothing.
        console.print(f"REDIS_URL is set ({app.settings.redis_url}); no embedded Redis to run")
        import signal

        signal.pause()
        return
    redis_conn.start_embedded(app.settings)
    try:
        while redis_conn.embedded_pid(app.settings):
            time.sleep(2)
    except KeyboardInterrupt:
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
    files = ingest.inbox_files(inbox)
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

    result = drain(app.conn, app.settings, [q for q in queues.split(",") if q], timeout_s=timeout_s)
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


# --- leads -----------------------------------------------------------------------------------
@cli.command("leads")
@click.option("--run", "run_id", help="Only this run (default: the latest).")
@click.option("--all-runs", is_flag=True, help="Every lead of every run.")
@pass_app
@user_errors
def leads_cmd(app: App, run_id: str | None, all_runs: bool) -> None:
    """A table of leads: state, site URL, email file."""
    store = app.store()
    if all_runs:
        keys: set[str] = set().union(*(store.keys_in_state(s) for s in LeadState))
    else:
        runs = [run_id] if run_id else store.latest_runs(1)
        if not runs:
            raise InputError("no runs yet: ingest a CSV first")
        keys = store.run_leads(runs[0])
    table = Table("lead", "company", "state", "stage", "site", "email file / last error")
    for rec in sorted(store.iter_leads(keys), key=lambda r: r.lead.company.lower()):
        tail = rec.email_file or rec.last_error or ""
        flag = " (degraded)" if rec.degraded else ""
        table.add_row(rec.key, rec.lead.company, rec.state.value + flag, rec.stage.value, rec.site_url or "", tail)
    console.print(table)


@cli.command("lead")
@click.argument("key")
@pass_app
@user_errors
def lead_cmd(app: App, key: str) -> None:
    """One lead's record and whole history."""
    rec = app.store().get(key)
    if rec is None:
        raise InputError(f"no lead {key!r}")
    console.print(f"{rec.key}  {rec.lead.company}  <{rec.lead.email}>  {rec.lead.website}")
    console.print(f"state {rec.state.value}, stage {rec.stage.value}, generation {rec.generation}, run {rec.run_id}")
    for name, value in (("site", rec.site_url), ("email", rec.email_file), ("last error", rec.last_error)):
        if value:
            console.print(f"{name}: {value}")
    for d in rec.degraded:
        console.print(f"degraded: {d}")
    for ev in rec.history:
        console.print(f"  {ev.at:%Y-%m-%d %H:%M:%S}  {ev.stage or '-':7} {ev.event:14} {ev.detail}")


# --- dead-letter queue -----------------------------------------------------------------------
@cli.group("dlq")
def dlq_group() -> None:
    """The dead-letter queue (RQ's FailedJobRegistry of every stage)."""


@dlq_group.command("list")
@pass_app
@user_errors
def dlq_list(app: App) -> None:
    """Every dead-lettered job with its error."""
    jobs = dlq.list_jobs(app.conn)
    table = Table("job", "stage", "lead", "failed at", "error")
    for j in jobs:
        table.add_row(j.job_id, j.stage, j.lead, f"{j.failed_at:%Y-%m-%d %H:%M:%S}" if j.failed_at else "", j.error)
    console.print(table)
    console.print(f"{len(jobs)} dead job(s)")


@dlq_group.command("show")
@click.argument("job_id")
@pass_app
@user_errors
def dlq_show(app: App, job_id: str) -> None:
    """One dead job with its traceback."""
    job, tb = dlq.show(app.conn, job_id)
    console.print(f"{job.job_id}  stage {job.stage}  lead {job.lead}  generation {job.generation}")
    click.echo(tb or "(no traceback stored)")


@dlq_group.command("requeue")
@click.argument("job_id", required=False)
@click.option("--all", "all_", is_flag=True, help="Requeue every dead job.")
@pass_app
@user_errors
def dlq_requeue(app: App, job_id: str | None, all_: bool) -> None:
    """Re-run dead jobs through the pipeline's own entry, with fresh retries."""
    if (job_id is None) == (not all_):
        raise click.UsageError("give a JOB_ID or --all (one of them)")
    new = dlq.requeue_all(app.conn, app.settings) if all_ else [dlq.requeue(app.conn, app.settings, str(job_id))]
    for jid in new:
        console.print(f"requeued as {jid}")
    console.print(f"{len(new)} job(s) requeued")


@dlq_group.command("purge")
@click.argument("job_id", required=False)
@click.option("--all", "all_", is_flag=True, help="Delete every dead job.")
@click.confirmation_option(prompt="Delete dead jobs for good? Their leads stay dead.")
@pass_app
@user_errors
def dlq_purge(app: App, job_id: str | None, all_: bool) -> None:
    """Delete dead jobs (their leads stay `dead`)."""
    if (job_id is None) == (not all_):
        raise click.UsageError("give a JOB_ID or --all (one of them)")
    n = dlq.purge(app.conn, None if all_ else job_id)
    console.print(f"{n} job(s) purged")


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


def _register_optional() -> None:
    """Commands that live in their own modules."""
    try:
        from pipeline import cli_site
    except ImportError:  # pragma: no cover - module arrives with the build/deploy work
        return
    for name in ("site", "serve"):
        command = getattr(cli_site, name, None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register_optional()


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
