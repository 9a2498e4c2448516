"""The stage contract: transient failures are raised until the final attempt, then (or on a
permanent failure) the lead goes on with the CSV row, a monogram and the default palette, flagged."""

from __future__ import annotations

import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.errors import TransientError
from pipeline.models import BrandProfile, LeadRecord
from pipeline.scrape.fallback import DEFAULT_PALETTE
from pipeline.scrape.fetch import Fetcher
from pipeline.stages import StageContext
from pipeline.stages.scrape import run, scrape
from pipeline.store import Store
from tests.scrape.helpers import lead, loopback_only, page, scrape_url, served_site, settings
from tests.support.servers import serve


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


def assert_fallback(profile: BrandProfile, reason: str) -> None:
    assert profile.name == "Acme Bakery" and profile.sources["name"] == "csv"
    assert profile.logo is not None and profile.logo.source == "monogram"
    assert profile.palette == DEFAULT_PALETTE
    assert profile.email == "owner@acme.example.org"
    assert profile.degraded[0].startswith("site unreachable") and reason in profile.degraded[0]
    assert {"logo: monogram", "palette: default"} <= set(profile.degraded)


def test_an_unreachable_site_is_retried_until_the_final_attempt_then_degrades() -> None:
    url = closed_port_url()
    with pytest.raises(TransientError):
        scrape_url(url, final_attempt=False)
    assert_fallback(scrape_url(url, final_attempt=True), "ConnectionError")


def test_a_missing_home_page_degrades_at_once_without_retries(tmp_path: Path) -> None:
    with served_site(tmp_path, {"other.html": page()}) as url:
        profile = scrape_url(url + "index-missing.html", final_attempt=False)
    assert_fallback(profile, "404")


def test_a_home_page_that_is_not_html_degrades(tmp_path: Path) -> None:
    with served_site(tmp_path, {"data.json": "{}"}) as url:
        profile = scrape_url(url + "data.json", final_attempt=False)
    assert_fallback(profile, "content type")


def test_a_flaky_home_page_is_retried_in_process() -> None:
    calls: list[str] = []

    class Flaky(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            calls.append(self.path)
            status, body = (
                (503, b"busy") if len(calls) == 1 else (200, page(head="<title>Acme Bakery</title>").encode())
            )
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve(Flaky) as url:
        profile = scrape_url(url, settings(fetch_retries=1), final_attempt=False)
    assert calls[:2] == ["/", "/"]
    assert profile.sources["name"] != "csv" and not any(f.startswith("site unreachable") for f in profile.degraded)


def test_the_stage_adapter_returns_the_profile_with_its_degraded_flags(tmp_path: Path, conn: redis.Redis) -> None:
    files = {
        "index.html": page(
            head='<meta property="og:site_name" content="Acme Bakery"><meta name="theme-color" content="#2a6f97">'
        )
    }
    with served_site(tmp_path, files) as url:
        record = LeadRecord(key="k1", lead=lead(url), run_id="r1")
        ctx = StageContext(settings=settings(), record=record, store=Store(conn), final_attempt=False)
        result = run(ctx)
    profile = result.output
    assert isinstance(profile, BrandProfile)
    assert profile.palette.primary == "#2a6f97" and profile.sources["palette"] == "meta theme-color"
    assert result.degraded == profile.degraded and any(f.startswith("logo:") for f in result.degraded)


def test_the_profile_with_its_logo_survives_the_json_round_trip_to_redis(tmp_path: Path) -> None:
    with served_site(tmp_path, {"index.html": page(head="<title>Acme Bakery</title>")}) as url:
        profile = scrape_url(url)
    again = BrandProfile.model_validate(profile.model_dump(mode="json"))
    assert again == profile and again.logo is not None and again.logo.data_b64


def test_a_phone_missing_from_the_site_is_taken_from_the_csv_and_flagged(tmp_path: Path) -> None:
    cfg = settings()
    with (
        served_site(tmp_path, {"index.html": page(body="<p>no phone here</p>")}) as url,
        Fetcher(cfg, resolver=loopback_only) as fetcher,
    ):
        profile = scrape(lead(url, phone="+44 20 7946 0958"), cfg, fetcher, final_attempt=True)
    assert profile.phone == "+44 20 7946 0958" and profile.sources["phone"] == "csv"
    assert any(flag.startswith("phone:") for flag in profile.degraded)


def test_an_absurdly_nested_page_still_gives_a_profile(tmp_path: Path) -> None:
    html = page(head="<title>Acme Bakery</title>", body="<div>" * 20_000 + "deep" + "</div>" * 20_000)
    with served_site(tmp_path, {"index.html": html}) as url:
        profile = scrape_url(url)
    assert profile.name == "Acme Bakery" and profile.logo is not None


def test_css_beyond_the_budget_is_not_fetched(tmp_path: Path) -> None:
    files = {
        "index.html": page(head='<link rel="stylesheet" href="/a.css"><link rel="stylesheet" href="/b.css">'),
        "a.css": ":root { --primary: #2a6f97 }" + " " * 3_900,
        "b.css": "a { color: #ff0000 }" + " " * 2_000,
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url, settings(scrape_css_budget_bytes=4_000))
    assert profile.palette.primary == "#2a6f97"
    assert any("b.css" in note and "cap" in note for note in profile.notes)
