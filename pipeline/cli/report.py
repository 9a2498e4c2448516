"""`pipeline report RUN`: write a static HTML report of a run."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.qa.report import write_report


@click.command("report")
@click.argument("run_id", metavar="RUN")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Folder (default var/reports).")
@pass_app
@user_errors
def report_cmd(app: App, run_id: str, out: Path | None) -> None:
    """Static HTML report of RUN: thumbnails, gate results, violations, stage timings, states."""
    index = write_report(app.store(read_only=True), run_id, out or app.settings.var_dir / "reports")
    console.print(f"report: {index}")
