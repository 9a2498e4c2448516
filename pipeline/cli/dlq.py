"""`pipeline dlq`: the dead-letter queue (RQ's FailedJobRegistry of every stage)."""

from __future__ import annotations

import click
from rich.table import Table

from pipeline import dlq
from pipeline.cli.common import App, console, emit_json, json_option, pass_app, user_errors


@click.group("dlq")
def dlq_group() -> None:
    """The dead-letter queue (RQ's FailedJobRegistry of every stage)."""


@dlq_group.command("list")
@json_option
@pass_app
@user_errors
def dlq_list(app: App, as_json: bool) -> None:
    """Every dead-lettered job with its error."""
    jobs = dlq.list_jobs(app.read_conn)
    if as_json:
        emit_json(jobs)
        return
    table = Table("job", "stage", "lead", "failed at", "error")
    for j in jobs:
        table.add_row(j.job_id, j.stage, j.lead, f"{j.failed_at:%Y-%m-%d %H:%M:%S}" if j.failed_at else "", j.error)
    console.print(table)
    console.print(f"{len(jobs)} dead job(s)")


@dlq_group.command("show")
@click.argument("job_id")
@json_option
@pass_app
@user_errors
def dlq_show(app: App, job_id: str, as_json: bool) -> None:
    """One dead job with its traceback."""
    job, tb = dlq.show(app.read_conn, job_id)
    if as_json:
        emit_json({"job": job, "traceback": tb})
        return
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
    if all_:
        new, refused = dlq.requeue_all(app.conn, app.settings)
    else:
        new, refused = [dlq.requeue(app.conn, app.settings, str(job_id))], []
    for jid in new:
        console.print(f"requeued as {jid}")
    for why in refused:
        click.echo(f"not requeued: {why}", err=True)
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
