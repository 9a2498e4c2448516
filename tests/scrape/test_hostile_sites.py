"""Every hostile prospect site (tests/support/hostile_sites.py) scraped for real on 127.0.0.1: it ends
in its expected outcome with a clear reason and no traceback, within its request and time limits,
no socket ever connects off loopback (redirects to private addresses are refused by the guard's
decision), and the site built from the result does nothing in Chromium: no script runs, no request
leaves for another host."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from benchmarks.theme_quality import chromium, preview
from pipeline.deploy.local import LocalWebRoot
from pipeline.errors import PipelineError
from pipeline.models import BrandProfile
from pipeline.netguard import parse_ip
from pipeline.render.site import build_site
from pipeline.scrape.fetch import Fetcher
from pipeline.stages.scrape import scrape
from tests.scrape.helpers import lead, settings
from tests.support.hostile_sites import CASES, DEADLINE_S, MAX_BYTES, Case, serve_case
from tests.support.resolver import loopback_only

_real_connect = socket.socket.connect


def _loopback_connect(self: socket.socket, address: Any) -> None:
    """socket.connect that refuses (and flags) any address off loopback: the SSRF canary."""
    if self.family in (socket.AF_INET, socket.AF_INET6):
        ip = parse_ip(str(address[0]))
        assert ip is not None and ip.is_loopback, f"a connection to {address} was attempted"
    _real_connect(self, address)


@pytest.fixture(autouse=True)
def _loopback_only_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_connect)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole module."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def web_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWebRoot]:
    root = tmp_path_factory.mktemp("hostile-sites")
    with preview(root) as base:
        yield LocalWebRoot(root, base)


def _resolver(case: Case) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        return [case.names[host]] if host in case.names else loopback_only(host, port)

    return resolve


def _scrape(case: Case) -> tuple[BrandProfile, list[str], list[str], float]:
    cfg = settings(
        fetch_deadline_s=DEADLINE_S,
        fetch_read_timeout_s=2.0,
        fetch_connect_timeout_s=1.0,
        fetch_max_bytes=MAX_BYTES,
        fetch_retries=1,
        fetch_retry_cap_s=0.2,
        scrape_page_budget=2,
    )
    with serve_case(case) as (url, seen), Fetcher(cfg, resolver=_resolver(case)) as fetcher:
        started = time.monotonic()
        profile = scrape(lead(url, company="Hostile Bakery"), cfg, fetcher, final_attempt=True)
        elapsed = time.monotonic() - started
        return profile, list(seen), list(fetcher.requests_sent), elapsed


def _params() -> list[Any]:
    marks = {c.name: [pytest.mark.xfail(reason=c.xfail, strict=False)] if c.xfail else [] for c in CASES}
    return [pytest.param(c, id=c.name, marks=marks[c.name]) for c in CASES]


def test_there_are_at_least_30_hostile_sites() -> None:
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.slow
@pytest.mark.parametrize("case", _params())
def test_each_hostile_site_ends_as_expected_and_its_generated_site_is_inert(
    case: Case, browser: Browser, web_root: LocalWebRoot, tmp_path: Path
) -> None:
    try:
        profile, seen, sent, elapsed = _scrape(case)
    except PipelineError as exc:  # the stage contract: the final attempt always gives a profile
        pytest.fail(f"scrape raised {exc!r} instead of degrading")
    unreachable = [f for f in profile.degraded if f.startswith("site unreachable")]
    if case.outcome == "degraded":
        assert unreachable and case.reason in unreachable[0], profile.degraded
        assert profile.name == "Hostile Bakery" and profile.sources["name"] == "csv"
    else:
        assert not unreachable, profile.degraded
    assert len(seen) <= case.max_requests, seen
    assert elapsed <= case.max_seconds, f"{elapsed:.2f}s"
    hosts = {urlsplit(u).hostname for u in sent}
    assert hosts <= {"127.0.0.1", *case.names}, sent  # a case's own names resolve privately: refused, not sent
    if case.check is not None:
        case.check(profile)
    _assert_inert_in_chromium(profile, browser, web_root)


def _assert_inert_in_chromium(profile: BrandProfile, browser: Browser, web_root: LocalWebRoot) -> None:
    result = web_root.publish(build_site(lead("https://hostile-bakery.example/", "Hostile Bakery"), "k", profile))
    foreign: list[str] = []
    origin = web_root.base_url.rstrip("/")

    def only_our_origin(route: Route) -> None:
        if route.request.url.startswith(origin + "/") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(
            "window.__ran = [];new MutationObserver(() => {}).observe(document, {childList: true, subtree: true});"
        )
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route("**/*", only_our_origin)
        page.goto(result.url, wait_until="load")
        page.mouse.move(10, 10)
        page.mouse.click(5, 5)
        flags = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__xss'))")
        scripts = page.evaluate("() => document.scripts.length")
    finally:
        context.close()
    assert flags == [] and dialogs == [], (flags, dialogs)
    assert scripts == 0
    assert foreign == [], foreign


def test_an_xhtml_page_with_an_xml_prolog_parses_quietly() -> None:
    # Older sites (iWeb, HTTrack, XHTML 1.0) start with <?xml ...?>: browsers read them as HTML, so do we,
    # without a BeautifulSoup warning per page in the worker's log.
    import warnings

    from pipeline.scrape.page import Page

    xhtml = b'<?xml version="1.0" encoding="utf-8"?><head><title>Front</title></head><body><p>Willkommen</p></body>'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = Page.parse("http://127.0.0.1/", xhtml)
    assert page.soup.title is not None and page.soup.title.get_text() == "Front"
    assert not caught, [str(w.message)[:80] for w in caught]
