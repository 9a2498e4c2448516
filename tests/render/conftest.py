"""Fixtures of the build tests: real Chromium (Debian's) and a preview server on a temp web root."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from benchmarks.theme_quality import chromium, preview
from pipeline.deploy.local import LocalWebRoot


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    with chromium() as b:
        yield b


@pytest.fixture
def web_root(tmp_path: Path) -> Iterator[LocalWebRoot]:
    """A local deploy target whose web root is served by the preview server on 127.0.0.1."""
    root = tmp_path / "sites"
    with preview(root) as base:
        yield LocalWebRoot(root, base)
