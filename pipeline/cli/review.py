"""`pipeline review list|show|approve|reject|serve`: leads the quality gates held."""

from __future__ import annotations

import getpass
import json

import click
from rich.table import Table

from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.qa import review, webapp


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


@click.group("review")
def review_group() -> None:
    """Leads the quality gates held: look at them, approve (email goes out) or reject (site down)."""


@review_group.command("list")
@pass_app
@user_errors
def list_cmd(app: App) -> None:
    """Held leads, oldest first, with the gates that held them."""
    store = app.store(read_only=True)
    table = Table("lead", "company", "run", "held since", "gates")
    for record in review.held(store):
        report = review.report_of(store, record.key)
        gates = ", ".join(f"{c.name} {c.status}" for c in report.checks if c.status != "pass") if report else "?"
        table.add_row(record.key, record.lead.company, record.run_id, f"{record.updated_at:%Y-%m-%d %H:%M}", gates)
    console.print(table)


@review_group.command("show")
@click.argument("lead")
@click.option("--json", "as_json", is_flag=True, help="The whole gate report as JSON.")
@pass_app
@user_errors
def show_cmd(app: App, lead: str, as_json: bool) -> None:
    """One lead's gate report: every gate, its verdict, why, and the evidence."""
    store = app.store(read_only=True)
    record = store.get(lead)
    if record is None:
        raise click.ClickException(f"no lead {lead}")
    report = review.report_of(store, lead)
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json") if report else None, indent=1))
        return
    console.print(f"{record.lead.company} ({lead}): state {record.state}, qa {record.qa_status or '-'}")
    if record.review:
        r = record.review
        console.print(f"{r.decision} by {r.by} at {r.at:%Y-%m-%d %H:%M:%S}" + (f": {r.reason}" if r.reason else ""))
    if report is None:
        console.print("no gate report stored")
        return
    console.print(f"{report.url}  verdict [bold]{report.verdict}[/]  layout {report.layout}  {report.seconds}s")
    for c in report.checks:
        console.print(f"  {c.name:<14} {c.status:<7} {c.detail}")
    for view, key in report.screenshots.items():
        console.print(f"  screenshot {view}: redis key {key}")


@review_group.command("approve")
@click.argument("lead")
@click.option("--reason", default="", help="Why, for the record.")
@pass_app
@user_errors
def approve_cmd(app: App, lead: str, reason: str) -> None:
    """Send a held lead on to email (once); who and when are recorded."""
    record = review.approve(app.store(), app.settings, lead, _who(), reason)
    console.print(f"{lead} approved by {record.approved_by}: queued for email")


@review_group.command("reject")
@click.argument("lead")
@click.option("--reason", default="", help="Why, for the record.")
@pass_app
@user_errors
def reject_cmd(app: App, lead: str, reason: str) -> None:
    """End a held lead `rejected` and take its site down; who and when are recorded."""
    review.reject(app.store(), app.settings, lead, _who(), reason)
    console.print(f"{lead} rejected: site taken down")


@review_group.command("serve")
@click.option("--host", default=None, help="Bind address (default PIPELINE_REVIEW_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PIPELINE_REVIEW_PORT, 8710).")
@pass_app
@user_errors
def serve_cmd(app: App, host: str | None, port: int | None) -> None:
    """The review page: held leads, screenshots, gate results, approve/reject buttons."""
    host = host or app.settings.review_host
    server = webapp.serve(app.conn, app.settings, host, port or app.settings.review_port)
    console.print(f"review page on http://{host}:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
