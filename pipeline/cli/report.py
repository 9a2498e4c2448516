"""`pipeline report RUN`: write a static HTML report of a run."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.qa.report import write_report


@click.command("report")
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Folder (default var/reports).")
@pass_app
@user_errors
def report_cmd(app: App, run_id: str | None, out: Path | None) -> None:
    """Static HTML report of RUN (default: the newest run): thumbnails, gate results, violations,
    stage timings, leads per state."""
    store = app.store(read_only=True)
    if run_id is None:
        newest = store.latest_runs(1)
        if not newest:
            raise click.ClickException("no run yet: nothing to report")
        run_id = newest[0]
    index = write_report(store, run_id, out or app.settings.var_dir / "reports")
    console.print(f"report: {index}")
