"""Sending one message: over SMTP with classified failures, or into the outbox as a file.

Failure classes (the email stage acts on them):
- connection refused, timeouts, a dropped connection and 4xx answers before DATA: `TransientError`
  (the job is retried with jitter; nothing was sent);
- 5xx at RCPT: `RecipientRefused`, a `PermanentError` that says the address itself is bad (the stage
  suppresses it as bounced, undeploys the site and ends the lead `rejected`);
- other 5xx before DATA (or a refusal in answer to the message): `PermanentError`;
- anything lost once DATA has begun: `AmbiguousSend` (the message may have been accepted: held).
"""

from __future__ import annotations

import contextlib
import os
import smtplib
from email.message import EmailMessage
from pathlib import Path

from pipeline.errors import AmbiguousSend, PermanentError, TransientError
from pipeline.settings import Settings


class RecipientRefused(PermanentError):
    """The receiving server refused the recipient address with a 5xx at RCPT."""


class Progress:
    """How far a send got. Until `committed`, nothing has left: the guard may be released. Once
    set (DATA begun, or the outbox file about to appear), only a person may decide to send again."""

    committed = False


def write_outbox(data: bytes, outbox: Path, name: str, progress: Progress) -> Path:
    """Write the message as `<name>.eml` atomically (temp file, then rename)."""
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{name}.eml"
    tmp = outbox / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TransientError(f"outbox write failed: {exc}") from exc
    progress.committed = True
    os.replace(tmp, path)
    return path


def _code_error(code: int, what: str) -> TransientError | PermanentError:
    return TransientError(f"SMTP {code} {what}") if 400 <= code < 500 else PermanentError(f"SMTP {code} {what}")


def _envelope(smtp: smtplib.SMTP, recipient: str, settings: Settings) -> None:
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
            raise _code_error(code, f"MAIL FROM: {resp!r}")
        code, resp = smtp.rcpt(recipient)
        if 500 <= code < 600:
            raise RecipientRefused(f"SMTP {code} RCPT TO {recipient}: {resp.decode(errors='replace')}")
        if code not in (250, 251):
            raise _code_error(code, f"RCPT TO: {resp!r}")
    except smtplib.SMTPResponseException as exc:
        raise _code_error(exc.smtp_code, str(exc.smtp_error)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"SMTP failed before DATA: {exc}") from exc


def send_smtp(data: bytes, recipient: str, settings: Settings, progress: Progress) -> None:
    """Send `data` (the whole message, CRLF line ends) to `recipient` over SMTP. Once DATA begins
    the message may be accepted: a lost connection then is `AmbiguousSend`, and after a 250 the
    send is done whatever QUIT answers."""
    assert settings.smtp_host
    try:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    except smtplib.SMTPResponseException as exc:  # a greeting of 4xx/5xx: the server is not taking mail now
        raise TransientError(f"SMTP greeting {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientError(f"SMTP connect failed: {exc}") from exc
    try:
        _envelope(smtp, recipient, settings)
        progress.committed = True
        try:
            code, resp = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            progress.committed = False  # the server answered DATA with a refusal: nothing accepted
            raise _code_error(exc.smtp_code, str(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise AmbiguousSend(f"connection lost during DATA, the message may have been accepted: {exc}") from exc
        if code != 250:
            progress.committed = False
            raise _code_error(code, f"DATA: {resp!r}")
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()  # after an accepted DATA, QUIT's answer changes nothing


def wire_bytes(msg: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends (bare LF makes one huge line for smtplib's DATA)."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
