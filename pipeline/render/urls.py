"""The only URLs a built page may contain: http(s), `tel:`, `mailto:` and the bundle's own files.

Every link made from profile data goes through here; anything else is dropped, not escaped.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from email_validator import EmailNotValidError, validate_email

_HOST = re.compile(r"^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$")
_UNSAFE = re.compile(r"[\x00-\x20\x7f<>\"'`\\]")
MAP_SEARCH = "https://www.openstreetmap.org/search?query="


def web_url(value: str | None) -> str | None:
    """An absolute http(s) URL with a plain host and no credentials, else None."""
    if not value or len(value) > 500 or _UNSAFE.search(value):
        return None
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.match(host):
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return value


def tel_url(phone: str | None) -> str | None:
    """`tel:` with only digits and a leading `+`, None when there are too few digits."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9]", "", phone)
    if not 4 <= len(digits) <= 20:
        return None
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


def mailto_url(email: str | None) -> str | None:
    """`mailto:` of one syntactically valid address (no headers, no query), else None."""
    address = valid_email(email)
    return "mailto:" + quote(address, safe="@.+-_") if address else None


def valid_email(email: str | None) -> str | None:
    """The normalised address when `email` is exactly one valid address."""
    if not email or len(email) > 254:
        return None
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def map_url(address: str | None) -> str | None:
    """A map search for a postal address (the address percent-encoded as data)."""
    if not address or not address.strip():
        return None
    return MAP_SEARCH + quote(" ".join(address.split())[:300], safe="")


def display_host(url: str) -> str:
    """A short human label for a link: its host without `www.`."""
    host = (urlsplit(url).hostname or url).lower()
    return host[4:] if host.startswith("www.") else host


def is_allowed(url: str, own_files: set[str]) -> bool:
    """True for URLs a built page may contain: the allowlisted schemes, fragments, own files."""
    if url.startswith("#") or url in own_files:
        return True
    if url.startswith("tel:"):
        return bool(re.fullmatch(r"tel:\+?[0-9]{4,20}", url))
    if url.startswith("mailto:"):
        return valid_email(url[7:].replace("%40", "@")) is not None
    return web_url(url) is not None
