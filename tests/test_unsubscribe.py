"""Unsubscribe: signed tokens, RFC 8058 one-click POST (raw HTTP) and the footer page (real Chromium),
served by the preview server; the next send to that address is refused."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from benchmarks.theme_quality import chromium
from pipeline import suppression
from pipeline.mail import unsubscribe
from pipeline.mail.unsubscribe import Unsubscriber
from pipeline.models import BrandProfile, LeadInput
from pipeline.preview import make_server, server_url
from pipeline.settings import Settings
from pipeline.stages import email as email_stage

LEAD = LeadInput.model_validate(
    {"company": "Rosie's Bakery", "website": "rosies.example.com", "email": "Hello@Rosies.example.com"}, context={}
)
PROFILE = BrandProfile(name="Rosie's Bakery", website=LEAD.website)


@pytest.fixture
def unsub_settings(settings: Settings, conn: redis.Redis) -> Iterator[Settings]:
    """Settings whose unsubscribe links point at a running preview server with the endpoints."""
    server = make_server(settings.sites_dir, "127.0.0.1", 0, Unsubscriber(conn, settings))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield settings.model_copy(update={"unsubscribe_base_url": server_url(server)})
    finally:
        server.shutdown()
        server.server_close()


def _links(conn: redis.Redis, settings: Settings, key: str) -> tuple[str, str]:
    """Send one email to the outbox; its List-Unsubscribe URL and its footer link."""
    result = email_stage.send_once(conn, key, 1, LEAD, PROFILE, "http://127.0.0.1/site/", settings)
    msg = message_from_bytes(Path(result.location).read_bytes(), policy=policy.default)
    header = re.search(r"<(http[^>]+)>", str(msg["List-Unsubscribe"]))
    footer = re.search(r'href="(http[^"]+/unsubscribe/[^"]+)"', msg.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert header and footer
    return header.group(1), footer.group(1)


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(url)
    client = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    client.request("POST", parts.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    resp = client.getresponse()
    data = resp.read()
    client.close()
    return resp.status, data


def test_a_one_click_post_suppresses_and_the_next_send_is_refused(conn: redis.Redis, unsub_settings: Settings) -> None:
    one_click, footer = _links(conn, unsub_settings, "u1")
    assert one_click == footer
    status, body = _post(one_click, b"List-Unsubscribe=One-Click")
    assert (status, body) == (200, b"unsubscribed\n")
    assert _post(one_click, b"List-Unsubscribe=One-Click")[0] == 200  # idempotent
    hit = suppression.reason_for(conn, LEAD.email)
    assert hit is not None and hit.reason == "unsubscribed" and "one-click" in hit.detail
    before = set(unsub_settings.outbox_dir.glob("*.eml"))
    result = email_stage.send_once(conn, "u2", 1, LEAD, PROFILE, "http://127.0.0.1/site/", unsub_settings)
    assert result.status == "suppressed"
    assert set(unsub_settings.outbox_dir.glob("*.eml")) == before


def test_a_forged_or_truncated_token_changes_nothing(conn: redis.Redis, unsub_settings: Settings) -> None:
    url, _ = _links(conn, unsub_settings, "u3")
    payload, sig = url.rsplit("/", 1)[1].split(".")
    other = unsubscribe._b64(b"u3:ceo@rosies.example.com")
    for bad in (f"{other}.{sig}", payload, f"{payload}.{sig[:-2]}", "..", "%00"):
        status, _ = _post(url.rsplit("/", 1)[0] + "/" + bad, b"List-Unsubscribe=One-Click")
        assert status == 404
    assert list(suppression.entries(conn)) == []


def test_the_secret_is_generated_once_and_kept_under_var(settings: Settings) -> None:
    first = unsubscribe.secret(settings)
    assert unsubscribe.secret(settings) == first and len(first) >= 32
    path = settings.var_dir / unsubscribe.SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    token = unsubscribe.make_token(first, "k", "a@b.example")
    assert unsubscribe.read_token(first, token) == ("k", "a@b.example")
    assert unsubscribe.read_token(b"another secret", token) is None


@pytest.mark.slow
def test_the_footer_link_asks_then_unsubscribes_in_chromium(conn: redis.Redis, unsub_settings: Settings) -> None:
    _, footer = _links(conn, unsub_settings, "u4")
    _click_through(conn, footer)
    hit = suppression.reason_for(conn, LEAD.email)
    assert hit is not None and hit.reason == "unsubscribed" and "page" in hit.detail


def _click_through(conn: redis.Redis, footer: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        page.goto(footer)
        assert "Unsubscribe" in page.title()
        assert suppression.reason_for(conn, LEAD.email) is None  # opening the link alone changes nothing
        page.get_by_role("button", name="Unsubscribe").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading").inner_text() == "You are unsubscribed"
        page.goto(footer)  # coming back shows the done state
        assert page.get_by_role("heading").inner_text() == "You are unsubscribed"
        page.close()


def test_with_redis_down_the_endpoint_answers_503_and_the_link_stays_good(settings: Settings, tmp_path: Path) -> None:
    down = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"))
    server = make_server(settings.sites_dir, "127.0.0.1", 0, Unsubscriber(down, settings))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        token = unsubscribe.make_token(unsubscribe.secret(settings), "k", "a@b.example")
        status, _ = _post(f"{server_url(server)}unsubscribe/{token}", b"List-Unsubscribe=One-Click")
    finally:
        server.shutdown()
        server.server_close()
    assert status == 503
