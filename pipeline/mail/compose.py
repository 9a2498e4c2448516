"""The outreach email, composed to tell the truth and to be deliverable.

- The footer says where the address came from: the prospect's site when the scrape found this very
  address there, else the list named in `address_source_list` (CSV-sourced).
- "In your own brand" only when the brand profile is not degraded (no monogram, no default colours).
- The sender's postal address, a working unsubscribe link (RFC 8058 one-click plus a page), and
  `List-Unsubscribe` / `List-Unsubscribe-Post` headers.
- A plain-text part always; the HTML part stays under `HTML_MAX_BYTES`; a preview thumbnail of the
  site (the QA screenshot, when one exists) is embedded and links to the site.
- `From` and `Message-ID` share the sender's domain; `Date` in GMT form; header values are checked
  for line breaks and control characters (header injection is refused, not cleaned).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.errors import PermanentError
from pipeline.models import BrandProfile, LeadInput, utcnow
from pipeline.settings import Settings

HTML_MAX_BYTES = 100_000


def _policy() -> EmailPolicy[EmailMessage]:
    """The default policy, except that `Date` is kept as written (the stock date header re-renders
    a GMT date as `+0000`; RFC 5322 prefers the `GMT` spelling we give it), and header lines may
    be up to RFC 5322's 998 characters: a long unsubscribe URL must not be folded into encoded
    words, which mail clients would not read as a URL."""
    registry = HeaderRegistry()
    registry.map_to_type("date", UnstructuredHeader)  # type: ignore[arg-type]
    return default_policy.clone(header_factory=registry, max_line_length=998)


POLICY = _policy()

TEMPLATES = Environment(
    loader=PackageLoader("pipeline", "themes/email"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


@dataclass
class Thumbnail:
    """An image of the deployed site to show in the email (PNG or JPEG bytes)."""

    data: bytes
    subtype: str = "png"


def sender_domain(settings: Settings) -> str:
    """The domain of the From address; Message-ID (and DKIM's d=) use the same one."""
    return settings.sender_email.rsplit("@", 1)[-1].lower()


def message_id(key: str, generation: int, settings: Settings) -> str:
    """Deterministic Message-ID: the same lead and generation always give the same id."""
    return f"<{key}.{generation}@{sender_domain(settings)}>"


def address_listed_on_site(profile: BrandProfile, email: str) -> bool:
    """Whether the scrape found this very address on the prospect's site."""
    return bool(profile.email) and (profile.email or "").strip().lower() == email.lower()


def _safe_header(name: str, value: str) -> str:
    """A header value without line breaks or control characters; anything else is refused."""
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise PermanentError(f"header injection refused: {name} carries a line break or control character")
    return value


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def compose(
    lead: LeadInput,
    profile: BrandProfile,
    site_url: str,
    msg_id: str,
    settings: Settings,
    *,
    unsubscribe_url: str,
    thumbnail: Thumbnail | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """The outreach email: text and HTML parts, every header, no signature yet (see `mail.dkim`)."""
    listed = address_listed_on_site(profile, lead.email)
    thumb_cid = make_msgid(domain=sender_domain(settings))[1:-1] if thumbnail else None
    values = {
        "lead": lead,
        "profile": profile,
        "site_url": site_url,
        "site_host": _host(lead.website),
        "listed_on_site": listed,
        "source_list": settings.address_source_list,
        "own_brand": not profile.degraded,
        "sender_name": settings.sender_name,
        "postal_address": (settings.sender_postal_address or "").strip(),
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_email": settings.unsubscribe_email,
        "thumb_cid": thumb_cid,
    }
    to_name = f"{lead.first_name} {lead.last_name}".strip()
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((_safe_header("From", settings.sender_name), settings.sender_email))
    msg["To"] = formataddr((_safe_header("To", to_name), lead.email))
    if settings.reply_to:
        msg["Reply-To"] = _safe_header("Reply-To", settings.reply_to)
    msg["Subject"] = _safe_header("Subject", f"A new website for {profile.name}")
    msg["Message-ID"] = msg_id
    msg["Date"] = format_datetime(now or utcnow(), usegmt=True)
    mailto = f"mailto:{settings.unsubscribe_email}?subject=unsubscribe"
    msg["List-Unsubscribe"] = f"<{_safe_header('List-Unsubscribe', unsubscribe_url)}>, <{mailto}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(TEMPLATES.get_template("outreach.txt").render(values))
    html = TEMPLATES.get_template("outreach.html").render(values)
    if len(html.encode()) > HTML_MAX_BYTES:
        raise PermanentError(f"the HTML part is {len(html.encode())} bytes, over the {HTML_MAX_BYTES} limit")
    msg.add_alternative(html, subtype="html")
    if thumbnail and thumb_cid:
        html_part = msg.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        html_part.add_related(thumbnail.data, maintype="image", subtype=thumbnail.subtype, cid=f"<{thumb_cid}>")
    return msg
