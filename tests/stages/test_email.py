"""Email stage: real SMTP (aiosmtpd), the outbox, and the at-most-once send guard."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller

from pipeline.errors import AmbiguousSend, PermanentError, TransientError
from pipeline.models import BrandProfile, LeadInput
from pipeline.settings import Settings
from pipeline.stages import email as email_stage
from tests.support.smtp import Script, scripted_smtp

LEAD = LeadInput.model_validate(
    {"company": "Rosie's Bakery", "website": "rosies.example.com", "email": "hello@rosies.example.com"}, context={}
)
PROFILE = BrandProfile(name="Rosie's Bakery", website=LEAD.website, email="hello@rosies.example.com")
POSTAL = "1 Agency Lane, Bristol BS1 1AA, UK"
SITE = "http://127.0.0.1:8700/rosies-bakery-1234abcd/"


class Recorder:
    """An SMTP handler that keeps what it receives, or answers a fixed code to RCPT."""

    def __init__(self, rcpt_code: str | None = None) -> None:
        self.messages: list[bytes] = []
        self.rcpt_code = rcpt_code

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_code:
            return self.rcpt_code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 Message accepted"


def smtp_settings(settings: Settings, port: int, **extra: object) -> Settings:
    """The test settings pointed at a loopback SMTP server, with the postal address SMTP needs."""
    values: dict[str, object] = {"smtp_host": "127.0.0.1", "smtp_port": port, "sender_postal_address": POSTAL}
    return settings.model_copy(update={**values, **extra})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_the_email_goes_over_smtp_once_with_its_headers(
    conn: redis.Redis, settings: Settings, smtp: tuple[Recorder, int]
) -> None:
    handler, port = smtp
    s = smtp_settings(settings, port, reply_to="replies@demo-agency.localhost")
    first = email_stage.send_once(conn, "k1", 1, LEAD, PROFILE, SITE, s)
    again = email_stage.send_once(conn, "k1", 1, LEAD, PROFILE, SITE, s)
    assert first == again
    assert len(handler.messages) == 1
    msg = message_from_bytes(handler.messages[0], policy=policy.default)
    assert msg["Message-ID"] == "<k1.1@demo-agency.localhost>"
    unsub, mailto = (part.strip() for part in str(msg["List-Unsubscribe"]).split(","))
    assert unsub.startswith(f"<{s.site_base_url}unsubscribe/") and unsub.endswith(">")
    assert mailto == "<mailto:unsubscribe@demo-agency.localhost?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert b"\r\nList-Unsubscribe: <http://" in handler.messages[0].replace(b"\n", b"\r\n")  # not encoded-words
    assert re.search(rb"^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r?$", handler.messages[0], re.M)
    assert msg["Reply-To"] == "replies@demo-agency.localhost"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert SITE in text and f'href="{SITE}"' in html
    assert ">See the new website for Rosie&#39;s Bakery</a>" in html  # real link text, not the bare URL
    assert "We built" in text and "We built" in html
    assert "1 Agency Lane, Bristol BS1 1AA, UK" in text and "1 Agency Lane, Bristol BS1 1AA, UK" in html
    assert unsub[1:-1] in text and unsub[1:-1] in html
    # the profile is not degraded and the site listed this address: both sentences are true
    assert "in your own brand" in text and "because rosies.example.com lists this address" in text


def test_a_refused_recipient_is_permanent_and_a_busy_server_is_transient(conn: redis.Redis, settings: Settings) -> None:
    for code, error in (("550 no such user", PermanentError), ("451 try again later", TransientError)):
        handler = Recorder(rcpt_code=code)
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            s = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
            with pytest.raises(error):
                email_stage.send_once(conn, "k2", 1, LEAD, PROFILE, SITE, s)
        finally:
            controller.stop()
        # nothing left the building: the guard is released so a later attempt may send
        assert conn.get(email_stage.guard_key("k2")) is None


def test_an_unreachable_smtp_server_is_transient(conn: redis.Redis, settings: Settings) -> None:
    s = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": _free_port(), "smtp_timeout_s": 2.0})
    with pytest.raises(TransientError):
        email_stage.send_once(conn, "k3", 1, LEAD, PROFILE, SITE, s)


def test_a_send_left_in_progress_is_never_repeated(conn: redis.Redis, settings: Settings) -> None:
    conn.set(email_stage.guard_key("k4"), "in-progress <k4.1@x>")
    with pytest.raises(AmbiguousSend):
        email_stage.send_once(conn, "k4", 1, LEAD, PROFILE, SITE, settings)
    assert not list(Path(settings.outbox_dir).glob("*.eml")) if settings.outbox_dir.exists() else True


def test_without_smtp_settings_the_email_is_an_eml_file_in_the_outbox(conn: redis.Redis, settings: Settings) -> None:
    result = email_stage.send_once(conn, "k5", 1, LEAD, PROFILE, SITE, settings)
    assert result.transport == "outbox"
    files = list(settings.outbox_dir.glob("*.eml"))
    assert files == [Path(result.location)]
    assert b"Subject: A new website for Rosie's Bakery" in files[0].read_bytes()


def test_a_message_the_server_accepted_counts_as_sent_whatever_quit_answers(
    conn: redis.Redis, settings: Settings
) -> None:
    script = Script(quit_reply=b"250 odd but harmless\r\n")
    with scripted_smtp(script) as port:
        s = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        first = email_stage.send_once(conn, "q1", 1, LEAD, PROFILE, SITE, s)
        again = email_stage.send_once(conn, "q1", 1, LEAD, PROFILE, SITE, s)
    assert first == again
    assert script.messages == 1
    assert (conn.get(email_stage.guard_key("q1")) or b"").startswith(b"sent ")


def test_a_connection_lost_after_the_message_is_ambiguous_and_keeps_the_guard(
    conn: redis.Redis, settings: Settings
) -> None:
    script = Script(after_data=None)
    with scripted_smtp(script) as port:
        s = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout_s": 2.0})
        with pytest.raises(AmbiguousSend):
            email_stage.send_once(conn, "q2", 1, LEAD, PROFILE, SITE, s)
        with pytest.raises(AmbiguousSend):  # and it is never tried again by itself
            email_stage.send_once(conn, "q2", 1, LEAD, PROFILE, SITE, s)
    assert script.messages == 1
    assert (conn.get(email_stage.guard_key("q2")) or b"").startswith(b"in-progress")


def test_a_message_refused_after_data_releases_the_guard(conn: redis.Redis, settings: Settings) -> None:
    script = Script(after_data=b"554 5.7.1 rejected as spam\r\n")
    with scripted_smtp(script) as port:
        s = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        with pytest.raises(PermanentError):
            email_stage.send_once(conn, "q3", 1, LEAD, PROFILE, SITE, s)
    assert conn.get(email_stage.guard_key("q3")) is None


def test_an_international_domain_is_addressed_in_its_ascii_form(conn: redis.Redis, settings: Settings) -> None:
    lead = LeadInput.model_validate(
        {"company": "Bäckerei Kunz", "website": "bäckerei-kunz.de", "email": "info@bäckerei-kunz.de"}, context={}
    )
    assert lead.email == "info@xn--bckerei-kunz-gcb.de"
    result = email_stage.send_once(conn, "q4", 1, lead, PROFILE, SITE, settings)
    assert b"info@xn--bckerei-kunz-gcb.de" in Path(result.location).read_bytes()


def test_a_silent_server_times_out_and_a_421_greeting_is_transient(conn: redis.Redis, settings: Settings) -> None:
    for script in (Script(greeting=None), Script(greeting=b"421 4.3.2 too busy, try later\r\n")):
        with scripted_smtp(script) as port:
            s = smtp_settings(settings, port, smtp_timeout_s=1.0)
            started = time.monotonic()
            with pytest.raises(TransientError):
                email_stage.send_once(conn, "t1", 1, LEAD, PROFILE, SITE, s)
            assert time.monotonic() - started < 5
        assert conn.get(email_stage.guard_key("t1")) is None and script.messages == 0
