"""Signed unsubscribe tokens and the unsubscribe URL put in every email.

A token is `<payload>.<signature>`: the payload is the lead key and the address (base64url), the
signature an HMAC-SHA256 of it with the unsubscribe secret (`PIPELINE_UNSUBSCRIBE_SECRET`; when
unset, a random one is generated once and kept in `var/unsubscribe.secret`, mode 0600, so links
stay valid across restarts). Anyone holding the link may unsubscribe that one address, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

import redis

from pipeline import suppression
from pipeline.settings import Settings

SECRET_FILE = "unsubscribe.secret"  # noqa: S105 (a file name, not a secret)
PATH = "unsubscribe/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret(settings: Settings) -> bytes:
    """The HMAC secret: the setting, else the persisted one under var/, created on first use."""
    if settings.unsubscribe_secret:
        return settings.unsubscribe_secret.get_secret_value().encode()
    path = Path(settings.var_dir) / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_urlsafe(32).encode())
    try:
        os.link(tmp, path)  # first writer wins; a concurrent one reads the winner's secret
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:18])


def make_token(key: bytes, lead_key: str, email: str) -> str:
    """The token of one lead's address."""
    payload = _b64(f"{lead_key}:{email.lower()}".encode())
    return f"{payload}.{_sign(key, payload)}"


def read_token(key: bytes, token: str) -> tuple[str, str] | None:
    """`(lead_key, email)` of a valid token, None for anything forged, truncated or malformed."""
    payload, _, sig = token.strip().partition(".")
    if not payload or not sig or len(token) > 600 or not hmac.compare_digest(_sign(key, payload), sig):
        return None
    try:
        lead_key, _, email = _unb64(payload).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (lead_key, email) if lead_key and "@" in email else None


def base_url(settings: Settings) -> str:
    """Where the unsubscribe endpoints are served (the preview server unless set), with a slash."""
    base = settings.unsubscribe_base_url or settings.site_base_url
    return base if base.endswith("/") else base + "/"


def unsubscribe_url(settings: Settings, lead_key: str, email: str) -> str:
    """The link for the footer and for `List-Unsubscribe` (one-click POST goes to the same URL)."""
    return f"{base_url(settings)}{PATH}{make_token(secret(settings), lead_key, email)}"


class Unsubscriber:
    """What the unsubscribe endpoints do: read a token, suppress its address (idempotent)."""

    def __init__(self, conn: redis.Redis, settings: Settings) -> None:
        self.conn = conn
        self.sender_name = settings.sender_name
        self._key = secret(settings)

    def address(self, token: str) -> str | None:
        """The address a valid token stands for, None for an invalid one."""
        found = read_token(self._key, token)
        return found[1] if found else None

    def is_suppressed(self, email: str) -> bool:
        """Whether the address is already on the suppression list."""
        return suppression.reason_for(self.conn, email) is not None

    def unsubscribe(self, token: str, how: str) -> str | None:
        """Suppress the token's address; its address, or None when the token is invalid."""
        found = read_token(self._key, token)
        if found is None:
            return None
        lead, email = found
        suppression.add(self.conn, email, "unsubscribed", f"{how}, lead {lead}")
        return email


def render_page(state: str, email: str, sender_name: str) -> str:
    """The unsubscribe page: `ask` (confirm with a button), `done`, or `invalid`."""
    from pipeline.mail.compose import TEMPLATES

    titles = {"ask": "Unsubscribe", "done": "You are unsubscribed", "invalid": "Link not valid"}
    return TEMPLATES.get_template("unsubscribe.html").render(
        state=state, email=email, sender_name=sender_name, title=titles[state]
    )
