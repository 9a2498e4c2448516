"""`pipeline ingest`: validate a prospects CSV (or an inbox of them) and enqueue new leads."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline import ingest
from pipeline.alerts import Alerter
from pipeline.cli.common import App, console, emit_json, json_option, pass_app, user_errors
from pipeline.errors import InputError

EXIT_REJECTED_ROWS = 3


# --- ingest ----------------------------------------------------------------------------------
def _print_report(r: ingest.IngestReport) -> None:
    console.print(
        f"{r.source}: accepted {r.accepted}, rejected {r.rejected}, duplicate {r.duplicate}, "
        f"enqueued {r.enqueued}{f', suppressed {r.suppressed}' if r.suppressed else ''}  (run {r.run_id})"
    )
    if r.encoding not in ("utf-8", "utf-8-sig"):
        console.print(f"  encoding: {r.encoding}")
    if r.rejects_file:
        console.print(f"  rejects: {r.rejects_file}")
    if r.archived_to:
        console.print(f"  archived: {r.archived_to}")
    if r.held_reason:
        console.print(
            f"  [bold red]HELD[/]: {r.held} lead(s) wait for `pipeline runs approve {r.run_id}`: {r.held_reason}"
        )


def _alert_on_hold(app: App, r: ingest.IngestReport) -> None:
    if r.held_reason:
        Alerter(app.conn, app.settings).fire(
            f"schema-drift:{r.run_id}", f"run {r.run_id} ({r.source}) held: {r.held_reason}", "warning"
        )


def _ingest_one(app: App, path: Path, *, move: bool, show: bool) -> ingest.IngestReport:
    """Ingest one file, with a live count of the rows read when a person watches a terminal."""
    if not (show and console.is_terminal):
        return ingest.ingest_file(path, app.conn, app.settings, move=move)
    with Progress(
        TextColumn(f"ingest {path.name}"), BarColumn(), TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("rows", total=None)
        return ingest.ingest_file(
            path, app.conn, app.settings, move=move, progress=lambda rows: bar.update(task, completed=rows)
        )


@click.command("ingest")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--inbox", type=click.Path(path_type=Path, file_okay=False), help="Ingest every *.csv in this folder.")
@json_option
@pass_app
@user_errors
def ingest_cmd(app: App, file: Path | None, inbox: Path | None, as_json: bool) -> None:
    """Validate a prospects CSV and enqueue one job per new lead.

    Required columns: company, website, email. Bad rows go to a rejects CSV; exit code 3 says some
    rows were rejected. A FILE is copied to the archive; inbox files are moved there. With neither a
    FILE nor --inbox, the configured inbox (<PIPELINE_VAR_DIR>/inbox) is ingested: what cron runs."""
    if file is not None and inbox is not None:
        raise click.UsageError("give a FILE or --inbox DIR, not both")
    if file is None and inbox is None:
        inbox = app.settings.inbox_dir
        inbox.mkdir(parents=True, exist_ok=True)
    if file is not None:
        report = _ingest_one(app, file, move=False, show=not as_json)
        if as_json:
            emit_json({"reports": [report], "failed": []})
        else:
            _print_report(report)
        _alert_on_hold(app, report)
        if report.rejected:
            sys.exit(EXIT_REJECTED_ROWS)
        return
    assert inbox is not None
    failed, rejected = 0, 0
    reports: list[ingest.IngestReport] = []
    failures: list[dict[str, str]] = []
    files = ingest.inbox_files(inbox, app.settings.inbox_min_age_s)
    if not files and not as_json:
        console.print(f"{inbox}: no CSV files waiting")
    for path in files:
        try:
            report = _ingest_one(app, path, move=True, show=not as_json)
            _alert_on_hold(app, report)
        except InputError as exc:
            failed += 1
            moved = ingest.quarantine(path, inbox, str(exc))
            click.echo(f"error: {exc} (moved to {moved})", err=True)
            failures.append({"file": str(path), "error": str(exc), "moved_to": str(moved)})
            continue
        reports.append(report)
        if not as_json:
            _print_report(report)
        rejected += report.rejected
    if as_json:
        emit_json({"reports": reports, "failed": failures})
    if failed:
        raise click.ClickException(f"{failed} file(s) could not be read")
    if rejected:
        sys.exit(EXIT_REJECTED_ROWS)
