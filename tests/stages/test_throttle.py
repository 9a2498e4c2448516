"""The send throttle: one Lua script shared by every worker process. Unit checks of the script and
the sending hours, then several real worker processes racing for a small cap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import redis

from pipeline.mail import hours
from pipeline.mail.throttle import Limit, Throttle
from pipeline.models import LeadState
from pipeline.settings import Settings
from pipeline.store import Store
from tests.support.outreach import Inbox, lead_at_email, smtp_server


def test_a_token_comes_back_one_window_after_it_was_taken(conn: redis.Redis) -> None:
    throttle = Throttle(conn)
    limits = [Limit("w", 2, 1.0), Limit("d", 3, 60.0)]
    assert throttle.acquire("a", limits) == 0 and throttle.acquire("b", limits) == 0
    wait = throttle.acquire("c", limits)
    assert 0 < wait <= 1.0  # the window is full: nothing taken, the wait says when a token frees
    assert throttle.acquire("a", limits) == 0  # the same member again (a retry) reuses its token
    assert throttle.used(limits[0]) == 2
    time.sleep(wait + 0.05)
    assert throttle.acquire("c", limits) == 0
    assert throttle.acquire("d", limits) > 1.0  # now the day cap (3) binds, for about a minute


def test_sending_hours_follow_the_prospect_time_zone() -> None:
    london, tokyo = hours.zone_for("UK"), hours.zone_for("Japan")
    assert hours.zone_for("Atlantis").key == "UTC" and hours.zone_for("", "Europe/Paris").key == "Europe/Paris"
    monday_10_utc = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert hours.seconds_until_open(monday_10_utc, london, (9, 17)) == 0
    assert (
        hours.seconds_until_open(monday_10_utc, tokyo, (9, 17)) == 14 * 3600
    )  # 19:00 there: 09:00 tomorrow is 00:00 UTC
    friday_18_london = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert hours.seconds_until_open(friday_18_london, london, (9, 17)) == (2 * 24 + 15) * 3600  # Monday 09:00
    for bad in ("9", "17-9", "9-25", "a-b"):
        try:
            hours.parse_hours(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def _worker(settings: Settings, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    code = "from pipeline.cli import main; main()"
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", code, "worker", "--queues", "email"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.slow
def test_worker_processes_share_one_cap_and_every_lead_is_emailed_once(
    conn: redis.Redis, settings: Settings, tmp_path: Path
) -> None:
    cap, window, leads, workers = 3, 3, 7, 3
    inbox = Inbox()
    with smtp_server(inbox) as port:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", "/tmp"),
            "PIPELINE_ENV_FILE": os.devnull,  # a developer's .env must not reach the test
            "REDIS_URL": settings.redis_url or "",
            "PIPELINE_VAR_DIR": str(settings.var_dir),
            "PIPELINE_PUBLIC_BASE_URL": settings.site_base_url,
            "PIPELINE_SMTP_HOST": "127.0.0.1",
            "PIPELINE_SMTP_PORT": str(port),
            "PIPELINE_SENDER_POSTAL_ADDRESS": "1 Agency Lane, Bristol",
            "PIPELINE_SEND_CAP_PER_WINDOW": str(cap),
            "PIPELINE_SEND_WINDOW_S": str(window),
            "PIPELINE_LOG_LEVEL": "WARNING",
        }
        records = [lead_at_email(conn, settings, n) for n in range(leads)]
        procs = [_worker(settings, env, tmp_path / "workers.log") for _ in range(workers)]
        try:
            store = Store(conn)
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline:
                states = [store.get(r.key).state for r in records]  # type: ignore[union-attr]
                if all(s == LeadState.EMAILED for s in states):
                    break
                time.sleep(0.2)
        finally:
            for p in procs:
                os.killpg(p.pid, signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
    log = (tmp_path / "workers.log").read_text(errors="replace")
    assert states == [LeadState.EMAILED] * leads, log[-3000:]
    times = sorted(t for t, _, _ in inbox.messages)
    ids = Counter(str(message_from_bytes(raw, policy=policy.default)["Message-ID"]) for _, _, raw in inbox.messages)
    assert len(ids) == leads and set(ids.values()) == {1}  # every lead emailed exactly once
    # never more than `cap` in any window (less the time a send takes after its token was taken)
    assert all(times[i + cap] - times[i] >= window - 1.0 for i in range(len(times) - cap)), times
    # the first window took exactly `cap`; the others were put off, without using a retry
    assert times[cap - 1] - times[0] < window and times[cap] - times[0] >= window - 1.0
    trails = [store.trail(r.key) for r in records]
    assert sum(any(e.event == "deferred" for e in t) for t in trails) >= leads - cap
    assert all(store.get(r.key).attempts["email"] == 1 for r in records)  # type: ignore[union-attr]


def test_status_shows_the_throttle_and_the_suppression_list(conn: redis.Redis, settings: Settings) -> None:
    from pipeline import suppression
    from pipeline.stages.email import limits_for
    from pipeline.status import snapshot

    for member in ("a.1", "b.1"):
        assert Throttle(conn).acquire(member, limits_for("x@shop.example.com", settings)) == 0
    suppression.add(conn, "spam.example.net")
    sending = snapshot(conn, settings, settings.redis_url or "").sending
    assert sending == {
        "window_used": 2,
        "window_cap": 50,
        "window_s": 3600,
        "day_used": 2,
        "day_cap": 300,
        "suppressed": 1,
    }


def test_waiters_are_told_to_come_back_in_turn_not_all_at_once(conn: redis.Redis) -> None:
    throttle = Throttle(conn)
    limits = [Limit("w", 2, 2.0)]
    assert throttle.acquire("a", limits) == 0 and throttle.acquire("b", limits) == 0
    waits = [throttle.acquire(m, limits) for m in "cdefg"]
    assert throttle.waiting(limits[0]) == 5
    first = waits[0]
    assert 0 < first <= 2.0 and abs(waits[1] - first) < 0.1  # two tokens free in the next window ...
    assert abs(waits[2] - first - 2.0) < 0.1 and abs(waits[3] - first - 2.0) < 0.1  # ... two in the one after
    assert abs(waits[4] - first - 4.0) < 0.1
    assert throttle.acquire("c", limits) > 0 and throttle.waiting(limits[0]) == 5  # asking again keeps its place
    time.sleep(first + 0.05)
    assert throttle.acquire("c", limits) == 0 and throttle.waiting(limits[0]) == 4  # granted: no longer waiting
