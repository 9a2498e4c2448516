"""DKIM signing (dkimpy) when a selector and a private key are configured; d= is the From domain."""

from __future__ import annotations

import dkim

from pipeline.errors import PermanentError
from pipeline.settings import Settings

SIGNED_HEADERS = [
    b"from", b"to", b"subject", b"date", b"message-id", b"reply-to",
    b"list-unsubscribe", b"list-unsubscribe-post", b"mime-version", b"content-type",
]  # fmt: skip


def enabled(settings: Settings) -> bool:
    """Whether emails are signed."""
    return bool(settings.dkim_selector and settings.dkim_private_key_file)


def sign(data: bytes, settings: Settings) -> bytes:
    """`data` (CRLF line ends) with a DKIM-Signature header in front; unchanged when DKIM is off."""
    if not enabled(settings):
        return data
    assert settings.dkim_selector and settings.dkim_private_key_file
    try:
        key = settings.dkim_private_key_file.read_bytes()
    except OSError as exc:
        raise PermanentError(f"DKIM key unreadable: {settings.dkim_private_key_file}: {exc}") from exc
    domain = settings.sender_email.rsplit("@", 1)[-1].lower()
    try:
        signature = dkim.sign(
            data,
            settings.dkim_selector.encode(),
            domain.encode(),
            key,
            include_headers=SIGNED_HEADERS,
            linesep=b"\r\n",
        )
    except dkim.DKIMException as exc:
        raise PermanentError(f"DKIM signing failed: {exc}") from exc
    return bytes(signature) + data
