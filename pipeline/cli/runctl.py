"""`pipeline backfill` and `pipeline abort RUN`: acting on whole runs."""

from __future__ import annotations

import json
import os
from datetime import datetime

import click

from pipeline import runctl
from pipeline.cli.common import App, console, pass_app, user_errors

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("backfill")
@click.option("--since", required=True, type=_DAY, help="First archive day (YYYY-MM-DD, UTC).")
@click.option("--until", required=True, type=_DAY, help="Last archive day, inclusive.")
@click.option("--rerun", is_flag=True, help="Start leads that ended dead or held again (new generation).")
@click.option(
    "--reemail", is_flag=True, help="With --rerun: also rerun leads already emailed (they may be emailed again)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@user_errors
def backfill_cmd(app: App, since: datetime, until: datetime, rerun: bool, reemail: bool, as_json: bool) -> None:
    """Re-ingest the CSVs archived from --since to --until; known leads are skipped unless --rerun."""
    if reemail and not rerun:
        raise click.UsageError("--reemail goes with --rerun")
    report = runctl.backfill(
        app.conn,
        app.settings,
        since.date(),
        until.date(),
        rerun=rerun,
        reemail=reemail,
    )
    if as_json:
        click.echo(report.model_dump_json())
        return
    if not report.files:
        console.print("no archived CSV in that range")
        return
    console.print(
        f"backfill of {len(report.files)} file(s): {report.enqueued} new lead(s) enqueued, {report.rerun} rerun, "
        f"{report.skipped_done} already done (skipped), {report.skipped_in_flight} in flight (left alone), "
        f"{report.rejected_rows} row(s) rejected"
    )
    for run_id, path in zip(report.runs, report.files, strict=True):
        console.print(f"  run {run_id}: {path}")


@click.command("abort")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@user_errors
def abort_cmd(app: App, run_id: str, as_json: bool) -> None:
    """Take RUN's waiting jobs out of the queues and hold its unfinished leads for a person."""
    report = runctl.abort(app.conn, app.settings, run_id, by=os.environ.get("USER", "operator"))
    if as_json:
        click.echo(json.dumps(report.model_dump()))
        return
    console.print(
        f"run {run_id} aborted: {report.held} lead(s) held, {report.jobs_removed} job(s) removed, "
        f"{report.already_done} already finished"
    )


COMMANDS = (backfill_cmd, abort_cmd)
