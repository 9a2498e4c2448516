"""`pipeline reconcile`: find leads whose job is gone and re-enqueue (or dead-letter) them."""

from __future__ import annotations

import click

from pipeline.alerts import Alerter
from pipeline.cli.common import App, console, pass_app, user_errors


@click.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Only report what would be done.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
@user_errors
def reconcile_cmd(app: App, dry_run: bool, as_json: bool) -> None:
    """Re-enqueue every non-terminal lead that has no live job for its stage (idempotent: the
    deterministic job id; the send guard decides about email); dead-letter it after
    PIPELINE_RECONCILE_MAX tries at one stage. Run from cron every few minutes."""
    from pipeline.reconcile import reconcile

    report = reconcile(app.conn, app.settings, dry_run=dry_run)
    if not dry_run:
        alerter = Alerter(app.conn, app.settings)
        if report.stranded:
            alerter.fire("stranded", f"reconcile found {report.stranded} stranded lead(s)", "warning")
        else:
            alerter.resolve("stranded", "no stranded lead left")
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    for f in report.findings:
        console.print(f"{f.action}: lead {f.lead} ({f.state} at {f.stage}, job {f.job_id}): {f.reason}")
    verb = "would be repaired" if dry_run else f"{report.requeued} re-enqueued, {report.dead_lettered} dead-lettered"
    console.print(
        f"reconcile: {report.scanned} active lead(s) scanned, {report.stranded} stranded; {verb}"
        + (f", {report.skipped} skipped (moved meanwhile)" if report.skipped else "")
        + f" in {report.seconds:.2f}s"
    )
