"""One guarded Chromium for the whole test session (starting one costs about a second), and the
helpers browser tests share. Registered as a pytest plugin in tests/conftest.py."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.browser import Browser
from pipeline.settings import Settings
from tests.support.resolver import loopback_only


def browser_settings(**overrides: object) -> Settings:
    """Settings for browser tests: loopback allowed, no in-process retries, short timeouts."""
    values: dict[str, object] = {
        "allow_loopback": True,
        "fetch_retries": 0,
        "fetch_connect_timeout_s": 2.0,
        "fetch_read_timeout_s": 2.0,
        "browser_timeout_s": 15.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def guarded_browser() -> Iterator[Browser]:
    """The session's pipeline `Browser` (loopback-only resolver)."""
    with Browser(browser_settings(), resolver=loopback_only) as browser:
        yield browser


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields after the last ')' are fixed
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            kids.append(int(entry.name))
    return kids


def chromium_pids() -> set[int]:
    """Chromium browser processes this test process started (children of Playwright's driver)."""
    pids = set()
    for driver in _children(os.getpid()):
        for proc in _children(driver):
            try:
                exe = os.readlink(f"/proc/{proc}/exe")
            except OSError:
                continue
            if "chrom" in exe:
                pids.add(proc)
    return pids


def kill_chromium(spare: set[int]) -> int:
    """SIGKILL the Chromium processes this test process started, except those in `spare` (other
    tests' browsers); returns how many were killed."""
    victims = chromium_pids() - spare
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    return len(victims)


@pytest.fixture(scope="session")
def plain_browser() -> Iterator[Any]:
    """A Chromium without the guard, for driving our own pages that post forms (the review page):
    the guarded renderer refuses every request but GET and HEAD. Loopback pages only."""
    from benchmarks.theme_quality import chromium

    with chromium() as browser:
        yield browser
