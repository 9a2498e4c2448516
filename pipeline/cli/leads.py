"""`pipeline leads` and `pipeline lead KEY`: what happened to prospects."""

from __future__ import annotations

import click
from rich.table import Table

from pipeline.cli.common import App, console, emit_json, json_option, pass_app, user_errors
from pipeline.errors import InputError
from pipeline.models import LeadState


@click.command("leads")
@click.option("--run", "run_id", help="Only this run (default: the latest).")
@click.option("--all-runs", is_flag=True, help="Every lead of every run.")
@json_option
@pass_app
@user_errors
def leads_cmd(app: App, run_id: str | None, all_runs: bool, as_json: bool) -> None:
    """A table of leads: state, site URL, email file."""
    store = app.store(read_only=True)
    if all_runs:
        keys: set[str] = set().union(*(store.keys_in_state(s) for s in LeadState))
    else:
        runs = [run_id] if run_id else store.latest_runs(1)
        if not runs:
            raise InputError("no runs yet: ingest a CSV first")
        keys = store.run_leads(runs[0])
    records = sorted(store.iter_leads(keys), key=lambda r: r.lead.company.lower())
    if as_json:
        emit_json(records)
        return
    table = Table("lead", "company", "state", "stage", "site", "email file / last error")
    for rec in records:
        tail = rec.email_file or rec.last_error or ""
        flag = " (degraded)" if rec.degraded else ""
        table.add_row(rec.key, rec.lead.company, rec.state.value + flag, rec.stage.value, rec.site_url or "", tail)
    console.print(table)


@click.command("lead")
@click.argument("key")
@json_option
@pass_app
@user_errors
def lead_cmd(app: App, key: str, as_json: bool) -> None:
    """One lead's record and whole history."""
    rec = app.store(read_only=True).get(key)
    if rec is None:
        raise InputError(f"no lead {key!r}")
    if as_json:
        emit_json({"record": rec, "trail": app.store(read_only=True).trail(key)})
        return
    console.print(f"{rec.key}  {rec.lead.company}  <{rec.lead.email}>  {rec.lead.website}")
    console.print(f"state {rec.state.value}, stage {rec.stage.value}, generation {rec.generation}, run {rec.run_id}")
    for name, value in (("site", rec.site_url), ("email", rec.email_file), ("last error", rec.last_error)):
        if value:
            console.print(f"{name}: {value}")
    for d in rec.degraded:
        console.print(f"degraded: {d}")
    # ingest writes no trail event (one fewer write per row on the hot path): the record says when
    console.print(f"  {rec.created_at:%Y-%m-%d %H:%M:%S}  {'scrape':7} {'ingested':14} run {rec.run_id}")
    for ev in app.store(read_only=True).trail(key):
        extra = "".join(
            f" [{label} {value}]"
            for label, value in (("attempt", ev.attempt), ("took", f"{ev.seconds:.2f}s" if ev.seconds else None))
            if value
        )
        console.print(f"  {ev.at:%Y-%m-%d %H:%M:%S}  {ev.stage or '-':7} {ev.event:14} {ev.detail}{extra}")
