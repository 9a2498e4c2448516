"""Helpers for scrape tests: loopback-only settings and resolver, tiny sites written to a temp dir,
and HTTP handlers that record what they were asked."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from benchmarks._corpus import bench_browser
from pipeline.browser import Browser
from pipeline.models import BrandProfile, LeadInput
from pipeline.scrape.fetch import Fetcher
from pipeline.settings import Settings
from pipeline.stages.scrape import scrape
from tests.support.resolver import loopback_only
from tests.support.servers import serve_directory

# The renderer is off in scrape tests unless a module turns it on (tests/scrape/test_render.py re-runs
# the hostile-page tests with it) or SCRAPE_TEST_RENDER=on runs the whole folder with it.
RENDER = {"mode": os.environ.get("SCRAPE_TEST_RENDER", "off")}


def settings(**overrides: Any) -> Settings:
    """Test settings: loopback allowed, no off-site assets, no in-process retries, short timeouts."""
    values: dict[str, Any] = {
        "scrape_render": RENDER["mode"],
        "allow_loopback": True,
        "scrape_offsite_assets": False,
        "fetch_retries": 0,
        "fetch_retry_cap_s": 0.05,
        "fetch_connect_timeout_s": 2.0,
        "fetch_read_timeout_s": 2.0,
        "fetch_deadline_s": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


def lead(url: str, company: str = "Acme Bakery", phone: str = "") -> LeadInput:
    """A validated CSV row for a site on loopback."""
    return LeadInput.model_validate(
        {"company": company, "website": url, "email": "owner@acme.example.org", "phone": phone},
        context={"allow_loopback": True},
    )


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small site (path → text or bytes) under `root`."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scrape_url(url: str, cfg: Settings | None = None, *, final_attempt: bool = True) -> BrandProfile:
    """Run the real scrape on a loopback URL."""
    cfg = cfg or settings()
    with Fetcher(cfg, resolver=loopback_only) as fetcher:
        return scrape(lead(url), cfg, fetcher, final_attempt=final_attempt, browser=warm_browser(cfg))


def warm_browser(cfg: Settings) -> Browser | None:
    """The guarded browser (loopback-only resolver) kept warm across tests with the same settings;
    None when the settings do not render."""
    return None if cfg.scrape_render == "off" else bench_browser(cfg)


@contextmanager
def served_site(root: Path, files: dict[str, str | bytes]) -> Iterator[str]:
    """Write a site and serve it on loopback."""
    with serve_directory(write_site(root, files)) as url:
        yield url


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    """A minimal HTML page."""
    return f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


class Recorder:
    """Thread-safe list of (method, path, headers) a handler saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def add(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests.append((handler.command, handler.path, dict(handler.headers.items())))

    @property
    def paths(self) -> list[str]:
        with self.lock:
            return [p for _, p, _ in self.requests]
