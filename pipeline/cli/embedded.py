"""`pipeline redis start|stop|status`: the embedded Redis (used when REDIS_URL is not set).

It is a service of its own, not a Procfile process: `make run` starts it before the workers and it
keeps running when they stop, so a worker never loses its Redis while shutting down."""

from __future__ import annotations

import sys

import click
import redis

from pipeline import redis_conn
from pipeline.cli.common import App, console, pass_app, user_errors


# --- redis -----------------------------------------------------------------------------------
@click.group("redis")
def redis_group() -> None:
    """The embedded Redis (used when REDIS_URL is not set)."""


@redis_group.command("start")
@pass_app
@user_errors
def redis_start(app: App) -> None:
    """Start the embedded Redis (no-op if it runs, or if REDIS_URL is set)."""
    if app.settings.redis_url:
        console.print(f"REDIS_URL is set; using {app.settings.redis_url}, nothing started")
        return
    url = redis_conn.start_embedded(app.settings)
    console.print(f"embedded Redis running at {url} (pid {redis_conn.embedded_pid(app.settings)})")


@redis_group.command("stop")
@pass_app
def redis_stop(app: App) -> None:
    """Stop the embedded Redis (it writes its append-only file first)."""
    stopped = redis_conn.stop_embedded(app.settings)
    console.print("embedded Redis stopped" if stopped else "embedded Redis was not running")


@redis_group.command("status")
@pass_app
def redis_status(app: App) -> None:
    """Say which Redis is in force and whether it answers."""
    url = app.redis_url
    try:
        ok = bool(redis_conn.connect(app.settings, start=False).ping())
    except redis.ConnectionError:
        ok = False
    console.print(f"{url}: {'up' if ok else 'down'}")
    if not ok:
        sys.exit(1)
