"""`pipeline canary status|check|approve LAYOUT`: the visual canary of each layout."""

from __future__ import annotations

import click
from rich.table import Table

from pipeline import browser as browsers
from pipeline import control
from pipeline.cli.common import App, console, pass_app, user_errors
from pipeline.qa import canary
from pipeline.render.themes import THEME_NAMES


def _layout(name: str) -> str:
    if name not in THEME_NAMES:
        raise click.BadParameter(f"unknown layout {name!r}; layouts: {', '.join(THEME_NAMES)}", param_hint="LAYOUT")
    return name


@click.group("canary")
def canary_group() -> None:
    """The visual canary: a fixed profile per layout, screenshotted and compared with a baseline."""


@canary_group.command("status")
@pass_app
@user_errors
def status_cmd(app: App) -> None:
    """Each layout's last canary result, and whether email is paused."""
    table = Table("layout", "status", "changed pixels", "checked at")
    for layout in THEME_NAMES:
        last = canary.last(app.read_conn, layout)
        if last is None:
            table.add_row(layout, "never checked", "", "")
            continue
        ratios = ", ".join(f"{v} {r:.2%}" for v, r in last.diff_ratio.items())
        table.add_row(layout, last.status, ratios, f"{last.at:%Y-%m-%d %H:%M:%S}")
    console.print(table)
    paused = control.paused_stages(app.read_conn).get("email")
    if paused:
        console.print(f"[bold red]email paused[/] by {paused.by}: {paused.reason}")


@canary_group.command("check")
@click.argument("layouts", nargs=-1)
@pass_app
@user_errors
def check_cmd(app: App, layouts: tuple[str, ...]) -> None:
    """Compare layouts' canaries with their baselines now (all layouts when none named)."""
    browser = browsers.shared(app.settings)
    drift = False
    for layout in [_layout(x) for x in layouts] or list(THEME_NAMES):
        result = canary.check(app.conn, app.settings, browser, layout)
        drift = drift or result.status == "drift"
        console.print(f"{layout}: {result.status} {result.detail}")
    if drift:
        raise click.exceptions.Exit(1)


@canary_group.command("approve")
@click.argument("layout")
@pass_app
@user_errors
def approve_cmd(app: App, layout: str) -> None:
    """Take a new baseline of LAYOUT from what it renders now; lifts the email pause it caused."""
    canary.approve(app.conn, browsers.shared(app.settings), _layout(layout))
    console.print(f"{layout}: new baseline taken")
