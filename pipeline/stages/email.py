"""Email stage: lead + site URL → one outreach email, at most once.

A `SET NX` guard marks the send *in progress* before anything leaves; once the message is accepted
(or written to the outbox) the guard becomes *sent*. A guard found *in progress* means "maybe sent":
the lead is held for a person, never resent. Without SMTP settings, emails are `.eml` files in
`var/outbox/`.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

import redis
from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.errors import AmbiguousSend, PermanentError, TransientError
from pipeline.models import BrandProfile, DeployResult, EmailResult, LeadInput, Stage
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult
from pipeline.store import guard_key

_ENV = Environment(
    loader=PackageLoader("pipeline", "themes/email"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


def message_id(key: str, generation: int, sender: str) -> str:
    """Deterministic Message-ID: the same lead and generation always give the same id."""
    domain = sender.rsplit("@", 1)[-1]
    return f"<{key}.{generation}@{domain}>"


def compose(lead: LeadInput, profile: BrandProfile, site_url: str, msg_id: str, settings: Settings) -> EmailMessage:
    """The outreach email: text and HTML parts, List-Unsubscribe, deterministic Message-ID."""
    values = {
        "lead": lead,
        "profile": profile,
        "site_url": site_url,
        "sender_name": settings.sender_name,
        "unsubscribe_email": settings.unsubscribe_email,
    }
    msg = EmailMessage()
    msg["From"] = formataddr((settings.sender_name, settings.sender_email))
    msg["To"] = formataddr((f"{lead.first_name} {lead.last_name}".strip(), lead.email))
    msg["Subject"] = f"A new website for {profile.name}"
    msg["Message-ID"] = msg_id
    msg["Date"] = formatdate(localtime=False)
    msg["List-Unsubscribe"] = f"<mailto:{settings.unsubscribe_email}?subject=unsubscribe>"
    msg.set_content(_ENV.get_template("outreach.txt").render(values))
    msg.add_alternative(_ENV.get_template("outreach.html").render(values), subtype="html")
    return msg


class Progress:
    """How far a send got. Until `committed`, nothing has left: the guard may be released. Once
    set (DATA begun, or the outbox file about to appear), only a person may decide to send again."""

    committed = False


def write_outbox(msg: EmailMessage, outbox: Path, name: str, progress: Progress) -> Path:
    """Write the message as `<name>.eml` atomically (temp file, then rename)."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{name}.eml"
    tmp = outbox / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(bytes(msg))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TransientError(f"outbox write failed: {exc}") from exc
    progress.committed = True
    os.replace(tmp, path)
    return path


def _smtp_code_error(code: int, what: str) -> TransientError | PermanentError:
    return TransientError(f"SMTP {code} {what}") if 400 <= code < 500 else PermanentError(f"SMTP {code} {what}")


def _envelope(smtp: smtplib.SMTP, msg: EmailMessage, settings: Settings) -> None:
    """Everything before DATA; a failure here means nothing was sent."""
    try:
        smtp.ehlo()
        if settings.smtp_starttls:
            smtp.starttls()
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        code, resp = smtp.mail(settings.sender_email)
        if code != 250:
            raise _smtp_code_error(code, f"MAIL FROM: {resp!r}")
        to = str(msg["To"]).rsplit("<", 1)[-1].rstrip(">")
        code, resp = smtp.rcpt(to)
        if code not in (250, 251):
            raise _smtp_code_error(code, f"RCPT TO: {resp!r}")
    except smtplib.SMTPResponseException as exc:
        raise _smtp_code_error(exc.smtp_code, str(exc.smtp_error)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"SMTP failed before DATA: {exc}") from exc


def send_smtp(msg: EmailMessage, settings: Settings, progress: Progress) -> None:
    """Send over SMTP. Failures before DATA are transient/permanent by code. Once DATA begins the
    message may be accepted: a lost connection then is `AmbiguousSend`, and after a 250 the send
    is done whatever QUIT answers."""
    assert settings.smtp_host
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"SMTP connect failed: {exc}") from exc
    try:
        _envelope(smtp, msg, settings)
        progress.committed = True
        try:
            # smtplib leaves bytes as they are: SMTP needs CRLF line ends (bare LF makes one huge line)
            code, resp = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as exc:
            progress.committed = False  # the server answered DATA with a refusal: nothing accepted
            raise _smtp_code_error(exc.smtp_code, str(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise AmbiguousSend(f"connection lost during DATA, the message may have been accepted: {exc}") from exc
        if code != 250:
            progress.committed = False
            raise _smtp_code_error(code, f"DATA: {resp!r}")
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()  # after an accepted DATA, QUIT's answer changes nothing


def send_once(
    conn: redis.Redis,
    key: str,
    generation: int,
    lead: LeadInput,
    profile: BrandProfile,
    site_url: str,
    settings: Settings,
) -> EmailResult:
    """Send the outreach email unless it was already sent; hold (AmbiguousSend) if it may have been.

    The guard is released only when nothing can have left (any failure, a job timeout included,
    before DATA began or before the outbox file appeared)."""
    guard = guard_key(key)
    msg_id = message_id(key, generation, settings.sender_email)
    msg = compose(lead, profile, site_url, msg_id, settings)  # before the guard: its failure sends nothing
    if not conn.set(guard, f"in-progress {msg_id}", nx=True):
        raw = conn.get(guard)
        state = raw.decode() if isinstance(raw, bytes) else str(raw or "")
        if state.startswith("sent "):
            return EmailResult.model_validate_json(state[5:])
        raise AmbiguousSend(f"a send for this lead was started and never confirmed ({state})")
    progress = Progress()
    try:
        if settings.smtp_host:
            send_smtp(msg, settings, progress)
            location = f"{settings.smtp_host}:{settings.smtp_port}"
            result = EmailResult(message_id=msg_id, transport="smtp", location=location)
        else:
            path = write_outbox(msg, settings.outbox_dir, key, progress)
            result = EmailResult(message_id=msg_id, transport="outbox", location=str(path))
    except BaseException:
        if not progress.committed:
            conn.delete(guard)  # nothing left: safe to try again
        raise  # otherwise the guard stays "in progress": a person decides
    conn.set(guard, "sent " + result.model_dump_json())
    return result


def run(ctx: StageContext) -> StageResult:
    """Job adapter: send the outreach email for the deployed, QA-passed site."""
    deployed = ctx.load(Stage.DEPLOY, DeployResult)
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    result = send_once(
        ctx.store.conn, ctx.record.key, ctx.record.generation, ctx.record.lead, profile, deployed.url, ctx.settings
    )
    return StageResult(output=result, email_file=result.location if result.transport == "outbox" else None)
