"""Fixtures of the gate tests: a web root served by the preview server on 127.0.0.1 for the
session, and a clean built site that each test publishes (and may tamper with) under its own slug."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.theme_quality import preview
from pipeline.deploy.local import LocalWebRoot


@pytest.fixture(scope="session")
def site_root() -> Iterator[LocalWebRoot]:
    """A local deploy target whose web root the preview server serves for the whole session."""
    with tempfile.TemporaryDirectory() as tmp, preview(Path(tmp)) as base:
        yield LocalWebRoot(Path(tmp), base)
