"""The fetcher against servers that try to hold a worker or eat its budget: drips in the status line
and headers cut off by the whole-exchange deadline, one retry budget per site shared with the stage
retries, Retry-After remembered across attempts, binary bodies declared as HTML."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import redis

from pipeline.errors import PermanentError, TransientError
from pipeline.models import LeadRecord
from pipeline.scrape.budget import MemoryBudget, RedisBudget
from pipeline.scrape.fetch import DeadlineExceeded, Fetcher
from pipeline.stages import StageContext
from pipeline.stages.scrape import run
from pipeline.store import Store
from tests.scrape.helpers import Recorder, lead, scrape_url, settings
from tests.scrape.test_fetch import handler, send
from tests.support.servers import serve


def drip(raw: bytes, every_s: float = 0.2) -> type[BaseHTTPRequestHandler]:
    """A server that sends `raw` (status line, headers, body) one byte every `every_s` seconds."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        for i in range(len(raw)):
            h.wfile.write(raw[i : i + 1])
            h.wfile.flush()
            time.sleep(every_s)

    return handler(Recorder(), respond)


PAGE = b"<html><title>Slow</title></html>"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE, id="status-line"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 200 + b"\r\nContent-Type: text/html\r\n\r\n", id="headers"
        ),
    ],
)
def test_a_drip_in_the_status_line_or_headers_is_cut_off_by_the_total_deadline(raw: bytes) -> None:
    cfg = settings(fetch_deadline_s=1.0, fetch_read_timeout_s=5.0, fetch_retries=2)
    with serve(drip(raw)) as url, Fetcher(cfg) as f:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="deadline"):
            f.get(url)
        elapsed = time.monotonic() - started
    assert elapsed < 1.8, elapsed
    assert len(f.requests_sent) == 1  # a deadline is not retried in-process: the server stays slow


def test_a_dripping_site_degrades_at_the_final_attempt_within_the_deadline() -> None:
    cfg = settings(fetch_deadline_s=1.0, fetch_read_timeout_s=5.0)
    with serve(drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE)) as url:
        with pytest.raises(TransientError):
            scrape_url(url, cfg, final_attempt=False)
        started = time.monotonic()
        profile = scrape_url(url, cfg, final_attempt=True)
    assert time.monotonic() - started < 1.8
    assert profile.degraded[0].startswith("site unreachable") and "deadline" in profile.degraded[0]


def always(status: int, **headers: str) -> tuple[Recorder, type[BaseHTTPRequestHandler]]:
    rec = Recorder()
    return rec, handler(rec, lambda h: send(h, status, b"busy", **headers))


def test_the_retry_budget_is_shared_by_in_process_and_stage_retries(conn: redis.Redis) -> None:
    cfg = settings(fetch_retries=2, fetch_retry_cap_s=0.01, fetch_site_budget=6)
    rec, failing = always(503)
    store = Store(conn)
    with serve(failing) as url:
        record = LeadRecord(key="budget-lead", lead=lead(url), run_id="r1")
        for attempt in range(4):  # the scrape stage's four attempts (retry_max 3)
            final = attempt == 3
            ctx = StageContext(settings=cfg, record=record, store=store, final_attempt=final)
            if final:
                profile = run(ctx).output
            else:
                try:
                    profile = run(ctx).output
                except TransientError:
                    continue
            break
    assert len(rec.requests) == 6  # 3 + 3, then the budget is spent: not 3 x 4 = 12
    assert "budget" in profile.degraded[0]  # type: ignore[attr-defined]
    assert RedisBudget(conn, f"budget-lead:{record.generation}").failures("127.0.0.1") == 6
    record.generation += 1  # a requeue from the DLQ: a fresh budget
    rec.requests.clear()
    with serve(failing) as url:
        record = record.model_copy(update={"lead": lead(url)})
        with pytest.raises(TransientError):
            run(StageContext(settings=cfg, record=record, store=store, final_attempt=False))
    assert len(rec.requests) == 3


def test_retries_are_spaced_with_jitter() -> None:
    rec, failing = always(503)
    cfg = settings(fetch_retries=5, fetch_retry_cap_s=0.2, fetch_site_budget=6)
    started = time.monotonic()
    with serve(failing) as url, Fetcher(cfg) as f, pytest.raises(TransientError):
        f.get(url)
    assert len(rec.requests) == 6
    assert time.monotonic() - started < 2.0


def test_a_long_retry_after_is_remembered_for_the_next_attempt_and_no_request_is_sent_early() -> None:
    rec, failing = always(429, Retry_After="30")
    budget = MemoryBudget()
    cfg = settings(fetch_retries=2, fetch_retry_cap_s=0.5)
    with serve(failing) as url:
        with Fetcher(cfg, budget=budget) as f, pytest.raises(TransientError):
            f.get(url)
        assert len(rec.requests) == 1  # beyond the in-process cap: left to the stage retry
        with Fetcher(cfg, budget=budget) as f, pytest.raises(TransientError, match="Retry-After"):
            f.get(url)
    assert len(rec.requests) == 1  # the next attempt respected it without knocking


def test_a_short_retry_after_is_honoured_in_process() -> None:
    rec, failing = always(503, Retry_After="1")
    with serve(failing) as url, Fetcher(settings(fetch_retries=1, fetch_retry_cap_s=2.0)) as f:
        started = time.monotonic()
        with pytest.raises(TransientError):
            f.get(url)
    assert len(rec.requests) == 2 and time.monotonic() - started >= 0.9


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, id="png"),
        pytest.param(b"\x1f\x8b\x08\x00" + b"\x00" * 64, id="gzip-not-declared"),
        pytest.param(b"<html>" + b"\x00\x01\x02\x03" * 50, id="nul-bytes"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 64, id="zip"),
    ],
)
def test_a_binary_body_declared_as_html_is_not_a_page(body: bytes) -> None:
    with (
        serve(handler(Recorder(), lambda h: send(h, body=body))) as url,
        Fetcher(settings()) as f,
        pytest.raises(PermanentError, match="not a page"),
    ):
        f.get(url)


def test_a_binary_home_page_degrades_the_profile(tmp_path: Path) -> None:
    body = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with serve(handler(Recorder(), lambda h: send(h, body=body))) as url:
        profile = scrape_url(url, final_attempt=False)
    assert "not a page" in profile.degraded[0]


def test_a_utf16_page_with_a_bom_is_still_a_page() -> None:
    body = "<html><title>Café</title></html>".encode("utf-16")
    with (
        serve(handler(Recorder(), lambda h: send(h, body=body))) as url,
        Fetcher(settings()) as f,
    ):
        assert f.get(url).content == body


def test_a_scrape_stops_fetching_when_its_time_budget_is_used_up() -> None:
    cfg = settings(fetch_deadline_s=1.0, scrape_deadline_s=1.5, fetch_read_timeout_s=5.0)
    with serve(drip(b"HTTP/1.1 200 OK\r\n\r\n" + PAGE)) as url, Fetcher(cfg) as f:
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises((DeadlineExceeded, PermanentError)):
                f.get(url)
        assert time.monotonic() - started < 2.3
    assert len(f.requests_sent) == 2  # the third was not sent: the scrape's time was up
