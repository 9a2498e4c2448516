"""The visual canary: a layout that renders differently from its baseline pauses email until a
person takes a new baseline."""

from __future__ import annotations

import redis
from click.testing import CliRunner

from pipeline import control
from pipeline.browser import Browser
from pipeline.cli.main import cli
from pipeline.qa import canary
from pipeline.render.themes import THEME_NAMES
from pipeline.settings import Settings


def test_a_changed_layout_trips_the_canary_and_pauses_email(
    conn: redis.Redis, settings: Settings, guarded_browser: Browser
) -> None:
    layout, other = THEME_NAMES[0], THEME_NAMES[-1]
    assert canary.check(conn, settings, guarded_browser, layout).status == "baseline-taken"
    again = canary.check(conn, settings, guarded_browser, layout)
    assert again.status == "ok" and max(again.diff_ratio.values()) <= settings.canary_max_diff_ratio
    assert "email" not in control.paused_stages(conn)

    changed = canary.canary_bundle(other)  # the layout now renders like another one
    drift = canary.check(conn, settings, guarded_browser, layout, bundle=changed)

    assert drift.status == "drift"
    paused = control.paused_stages(conn)["email"]
    assert paused.by == "visual canary" and (paused.reason or "").startswith(f"canary {layout}:")
    status = CliRunner().invoke(cli, ["canary", "status"], env={"REDIS_URL": settings.redis_url or ""})
    assert "drift" in status.output and "email paused" in status.output

    canary.approve(conn, guarded_browser, layout)
    assert "email" not in control.paused_stages(conn)
    assert canary.check(conn, settings, guarded_browser, layout).status == "ok"


def test_the_canary_runs_once_per_interval_across_workers(
    conn: redis.Redis, settings: Settings, guarded_browser: Browser
) -> None:
    assert canary.check_due(conn, settings, guarded_browser, THEME_NAMES[0]) is not None
    assert canary.check_due(conn, settings, guarded_browser, THEME_NAMES[0]) is None
