"""The outreach email end to end through the email job, against aiosmtpd on 127.0.0.1: headers and
DKIM, failure classes (4xx, 5xx at RCPT, a drop after DATA), suppression, gates, truthful content."""

from __future__ import annotations

import base64
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
import redis

from pipeline import dlq, suppression
from pipeline.drain import drain
from pipeline.errors import PermanentError
from pipeline.models import BrandProfile, LeadState, QaStatus, Stage
from pipeline.queues import job_id, stage_queue
from pipeline.settings import Settings
from pipeline.stages import email as email_stage
from pipeline.store import Store
from tests.support.outreach import Inbox, lead_at_email, smtp_server
from tests.support.smtp import Script, scripted_smtp

POSTAL = "1 Agency Lane, Bristol BS1 1AA, UK"


def _smtp(settings: Settings, port: int, **extra: object) -> Settings:
    values: dict[str, object] = {"smtp_host": "127.0.0.1", "smtp_port": port, "sender_postal_address": POSTAL}
    return settings.model_copy(update={**values, **extra})


def _parse(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text(msg: EmailMessage, kind: str) -> str:
    part = msg.get_body((kind,))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _dkim_key(tmp_path: Path) -> tuple[Path, bytes]:
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    der = subprocess.run(
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    return key, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def test_a_normal_send_has_both_parts_every_header_and_a_valid_dkim_signature(
    conn: redis.Redis, settings: Settings, tmp_path: Path
) -> None:
    key, dns_record = _dkim_key(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        s = _smtp(
            settings, port, dkim_selector="pl2026", dkim_private_key_file=key, reply_to="team@demo-agency.localhost"
        )
        record = lead_at_email(conn, s, 1)
        assert drain(conn, s, ["email"], timeout_s=30).outcome == "done"
    assert Store(conn).get(record.key).state == LeadState.EMAILED  # type: ignore[union-attr]
    [(_, rcpt, raw)] = inbox.messages
    assert rcpt == [record.lead.email]
    msg = _parse(raw)
    for header in ("From", "To", "Subject", "Date", "Message-ID", "Reply-To", "List-Unsubscribe", "DKIM-Signature"):
        assert msg[header], header
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(msg["Message-ID"]).endswith("@demo-agency.localhost>")  # aligned with From
    assert POSTAL in _text(msg, "plain") and POSTAL in _text(msg, "html")

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"pl2026._domainkey.demo-agency.localhost."
        return dns_record

    assert dkim.verify(raw, dnsfunc=dns)
    assert not dkim.verify(raw.replace(b"Shop 1", b"Shop 2"), dnsfunc=dns)  # and it covers the content


def test_a_4xx_is_retried_and_then_the_email_goes_once(conn: redis.Redis, settings: Settings) -> None:
    inbox = Inbox(rcpt_codes=["451 4.7.1 greylisted, try again"])
    with smtp_server(inbox) as port:
        s = _smtp(settings, port)
        record = lead_at_email(conn, s, 2)
        assert drain(conn, s, ["email"], timeout_s=30).outcome == "done"
    done = Store(conn).get(record.key)
    assert done is not None and done.state == LeadState.EMAILED
    assert done.attempts["email"] == 2 and len(inbox.messages) == 1


def test_a_5xx_at_rcpt_suppresses_the_address_undeploys_and_rejects(conn: redis.Redis, settings: Settings) -> None:
    inbox = Inbox(rcpt_codes=["550 5.1.1 no such mailbox"])
    with smtp_server(inbox) as port:
        s = _smtp(settings, port)
        record = lead_at_email(conn, s, 3)
        assert drain(conn, s, ["email"], timeout_s=30).outcome == "done"
    done = Store(conn).get(record.key)
    assert done is not None and done.state == LeadState.REJECTED
    assert done.last_error and "550" in done.last_error and done.attempts["email"] == 1
    assert done.site_url is None and "compensated" in [e.event for e in Store(conn).trail(record.key)]
    assert not any(p.name.startswith("shop-3-") for p in s.sites_dir.iterdir())
    hit = suppression.reason_for(conn, record.lead.email)
    assert hit is not None and hit.reason == "bounced" and "550" in hit.detail
    assert inbox.messages == [] and dlq.size(conn) == 0


def test_a_connection_dropped_after_data_holds_the_lead_and_a_requeue_never_resends(
    conn: redis.Redis, settings: Settings
) -> None:
    script = Script(after_data=None)
    with scripted_smtp(script) as port:
        s = _smtp(settings, port, smtp_timeout_s=2.0)
        record = lead_at_email(conn, s, 4)
        assert drain(conn, s, ["email"], timeout_s=30).outcome == "done"
        held = Store(conn).get(record.key)
        assert held is not None and held.state == LeadState.HELD and "ambiguous" in (held.last_error or "")
        # An operator forces it through the DLQ (as if the worker had died there): still no resend.
        held.state = LeadState.DEAD
        Store(conn).save(held)
        queue = stage_queue(conn, Stage.EMAIL)
        queue.failed_job_registry.add(queue.fetch_job(job_id(record.key, Stage.EMAIL, 1)), ttl=60)
        dlq.requeue(conn, s, job_id(record.key, Stage.EMAIL, 1))
        assert drain(conn, s, timeout_s=30).outcome == "done"
    again = Store(conn).get(record.key)
    assert again is not None and again.state == LeadState.HELD
    assert script.messages == 1


def test_a_suppressed_address_and_a_suppressed_domain_are_never_sent(conn: redis.Redis, settings: Settings) -> None:
    suppression.add(conn, "owner5@shop5.example.com")
    suppression.add(conn, "example.org")  # a whole domain: its subdomains too
    inbox = Inbox()
    with smtp_server(inbox) as port:
        s = _smtp(settings, port)
        by_address = lead_at_email(conn, s, 5)
        by_domain = lead_at_email(conn, s, 6, email="info@mail.example.org")
        free = lead_at_email(conn, s, 7)
        assert drain(conn, s, ["email"], timeout_s=30).outcome == "done"
    store = Store(conn)
    assert store.get(by_address.key).state == LeadState.SUPPRESSED  # type: ignore[union-attr]
    assert store.get(by_domain.key).state == LeadState.SUPPRESSED  # type: ignore[union-attr]
    assert store.get(free.key).state == LeadState.EMAILED  # type: ignore[union-attr]
    assert [rcpt for _, rcpt, _ in inbox.messages] == [[free.lead.email]]


def test_header_injection_is_refused_and_nothing_is_sent(conn: redis.Redis, settings: Settings) -> None:
    inbox = Inbox()
    record = lead_at_email(conn, settings, 8, enqueue=False)
    for name in ("Shop\r\nBcc: victim@example.net", "Shop\nX-Evil: 1", "Shop\u2028Bcc: v@example.net"):
        profile = BrandProfile(name=name, website=record.lead.website)
        with smtp_server(inbox) as port, pytest.raises(PermanentError, match="header injection refused"):
            email_stage.send_once(conn, record.key, 1, record.lead, profile, "http://x/", _smtp(settings, port))
    assert inbox.messages == []
    assert conn.get(email_stage.guard_key(record.key)) is None


def test_no_email_unless_the_gates_passed_or_a_person_approved(conn: redis.Redis, settings: Settings) -> None:
    failed = lead_at_email(conn, settings, 9, gates_pass=False)
    approved = lead_at_email(conn, settings, 10, gates_pass=False, enqueue=False)
    approved.approved_by = "alice"
    Store(conn).save(approved)
    from pipeline import queues

    # the review's word wins over a passing report or an earlier approval
    overruled = lead_at_email(conn, settings, 14, enqueue=False)
    overruled.approved_by, overruled.qa_status = "alice", QaStatus.REJECTED
    held_by_gates = lead_at_email(conn, settings, 15, enqueue=False)
    held_by_gates.qa_status = QaStatus.HELD
    for record in (approved, overruled, held_by_gates):
        Store(conn).save(record)
        queues.enqueue(conn, Stage.EMAIL, [(record.key, 1)], settings)
    assert drain(conn, settings, ["email"], timeout_s=30).outcome == "done"
    store = Store(conn)
    held = store.get(failed.key)
    assert held is not None and held.state == LeadState.HELD and "gates did not pass" in (held.last_error or "")
    assert store.get(approved.key).state == LeadState.EMAILED  # type: ignore[union-attr]
    assert "rejected this lead" in (store.get(overruled.key).last_error or "")  # type: ignore[union-attr]
    assert "held by its QA gates" in (store.get(held_by_gates.key).last_error or "")  # type: ignore[union-attr]
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1


def test_the_footer_tells_where_the_address_came_from_and_claims_no_brand_when_degraded(
    conn: redis.Redis, settings: Settings
) -> None:
    record = lead_at_email(conn, settings, 11, degraded=True, enqueue=False)
    profile = BrandProfile(name="Shop 11", website=record.lead.website, email=None, degraded=["logo: monogram"])
    result = email_stage.send_once(conn, record.key, 1, record.lead, profile, "http://x/", settings)
    msg = _parse(Path(result.location).read_bytes())
    text, html = _text(msg, "plain"), _text(msg, "html")
    assert "own brand" not in text and "own brand" not in html
    assert "lists this address" not in text
    assert f"your address is on {settings.address_source_list}" in text
    assert text.replace("\r\n", "\n").startswith("Hello,\n\nWe built")


def test_the_qa_screenshot_becomes_a_linked_thumbnail_and_no_screenshot_means_none(
    conn: redis.Redis, settings: Settings
) -> None:
    import io

    from PIL import Image

    shot = io.BytesIO()
    Image.new("RGB", (1280, 2400), "#cc3366").save(shot, format="WEBP")
    with_shot = lead_at_email(conn, settings, 12, screenshot=shot.getvalue())
    without = lead_at_email(conn, settings, 13)
    assert drain(conn, settings, ["email"], timeout_s=30).outcome == "done"
    store = Store(conn)
    msg = _parse(Path(store.get(with_shot.key).email_file or "").read_bytes())  # type: ignore[union-attr]
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/jpeg"]
    cid = str(image["Content-ID"]).strip("<>")
    html = _text(msg, "html")
    assert f'<a href="{with_shot.site_url}"><img src="cid:{cid}"' in html
    thumb = Image.open(io.BytesIO(image.get_content()))  # type: ignore[attr-defined]
    assert thumb.size == (600, 400)  # the top of the page, email-sized
    assert len(html.encode()) < 100_000 and _text(msg, "plain")
    plain = _parse(Path(store.get(without.key).email_file or "").read_bytes())  # type: ignore[union-attr]
    assert not [p for p in plain.walk() if p.get_content_maintype() == "image"]
    assert "cid:" not in _text(plain, "html")


def test_smtp_without_a_postal_address_is_a_one_line_config_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import cli

    env = {"PIPELINE_VAR_DIR": str(tmp_path), "PIPELINE_SMTP_HOST": "127.0.0.1"}
    result = CliRunner().invoke(cli, ["suppress", "list"], env=env)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: PIPELINE_SENDER_POSTAL_ADDRESS: required when PIPELINE_SMTP_HOST is set")
