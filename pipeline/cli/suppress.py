"""`pipeline suppress add|remove|list|import FILE|export`: the addresses and domains never emailed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline import suppression
from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.errors import InputError


@click.group("suppress")
def suppress_group() -> None:
    """The suppression list: addresses (user@host) and whole domains (host) that get no email."""


@suppress_group.command("add")
@click.argument("entries", nargs=-1, required=True)
@click.option("--note", default="", help="Why (kept with the entry).")
@pass_app
@user_errors
def add_cmd(app: App, entries: tuple[str, ...], note: str) -> None:
    """Suppress addresses or domains (idempotent)."""
    items = [suppression.normalise(e) for e in entries]  # all valid, or nothing added
    for _, value in items:
        suppression.add(app.conn, value, "manual", note)
    console.print(f"suppressed {len(items)}: " + ", ".join(v for _, v in items))


@suppress_group.command("remove")
@click.argument("entries", nargs=-1, required=True)
@pass_app
@user_errors
def remove_cmd(app: App, entries: tuple[str, ...]) -> None:
    """Lift suppressions (an address unsubscribed by its owner should stay: think twice)."""
    for entry in entries:
        removed = suppression.remove(app.conn, entry)
        console.print(f"{entry}: {'removed' if removed else 'was not suppressed'}")


@suppress_group.command("list")
@pass_app
@user_errors
def list_cmd(app: App) -> None:
    """Every suppression: entry, kind, reason, when, detail."""
    n = 0
    for item in suppression.entries(app.conn):
        n += 1
        click.echo(f"{item.entry}\t{item.kind}\t{item.reason}\t{item.at}\t{item.detail}")
    if not n:
        click.echo("the suppression list is empty", err=True)


@suppress_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@pass_app
@user_errors
def import_cmd(app: App, file: Path) -> None:
    """Suppress every address or domain in FILE (one a line, or the first column of a CSV)."""
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    added, bad = 0, []
    for n, entry in enumerate(suppression.parse_lines(lines), 1):
        try:
            suppression.add(app.conn, entry, "imported", file.name)
            added += 1
        except InputError as exc:
            bad.append(f"entry {n}: {exc}")
    console.print(f"{file}: {added} suppressed, {len(bad)} refused")
    for line in bad[:20]:
        click.echo(f"  {line}", err=True)
    if bad:
        sys.exit(3)


@suppress_group.command("export")
@pass_app
@user_errors
def export_cmd(app: App) -> None:
    """Print the list as CSV (entry,kind,reason,at,detail), importable again."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["entry", "kind", "reason", "at", "detail"])
    for item in suppression.entries(app.conn):
        writer.writerow([item.entry, item.kind, item.reason, item.at, item.detail])
