"""Lead + brand profile → site bundle. Pure and deterministic: the same inputs give the same bytes.

Every profile field is untrusted data: text is normalised and length-capped here, escaped by the
templates; links are rebuilt from scratch (`urls`); the logo is re-encoded or sanitised (`assets`);
colours are parsed and re-derived (`palette`). The bundle's content hash is its version.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from typing import Any

from pipeline.errors import PermanentError
from pipeline.models import BrandProfile, LeadInput, SiteBundle
from pipeline.render import assets, i18n, palette, themes, urls

PAGE_WEIGHT_MAX_BYTES = 250_000
MAX_SERVICES, MAX_SERVICE_CHARS = 12, 160
MAX_PARAGRAPHS, MAX_PARAGRAPH_CHARS = 6, 1_200
MAX_SOCIAL = 8
_LOGO_BOXES: tuple[tuple[int, int], ...] = (assets.LOGO_BOX_PX, (320, 128), (200, 80))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def slug_for(company: str, key: str) -> str:
    """URL- and path-safe slug, unique per lead: ascii words of the name plus the key's head."""
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    safe_key = re.sub(r"[^a-z0-9]", "", key.lower())[:8] or "0"
    return f"{words or 'site'}-{safe_key}"


def content_hash(files: dict[str, bytes]) -> str:
    """Hash of every path and its bytes, in path order: the bundle's version."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()[:16]


def clean_text(value: str | None, limit: int) -> str:
    """One line of display text: NFC, no control or bidi-override characters, collapsed spaces,
    cut at a word boundary to at most `limit` characters."""
    if not value:
        return ""
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else cut).rstrip(" ,.;:-") + "…"


def _cleaned_list(values: list[str], count: int, limit: int) -> list[str]:
    out: list[str] = []
    for value in values:
        text = clean_text(value, limit)
        if text and text not in out:
            out.append(text)
        if len(out) == count:
            break
    return out


def page_context(lead: LeadInput, profile: BrandProfile, lang: str) -> dict[str, Any]:
    """Template values from the lead and profile, every one cleaned; no markup, no raw URLs."""
    t = i18n.labels(lang)
    name = clean_text(profile.name, 120) or clean_text(lead.company, 120)
    tagline = clean_text(profile.tagline, 200)
    paragraphs = _cleaned_list(profile.paragraphs, MAX_PARAGRAPHS, MAX_PARAGRAPH_CHARS)
    phone = clean_text(profile.phone or lead.phone, 40)
    email = urls.valid_email(profile.email) or urls.valid_email(lead.email) or ""
    address = clean_text(profile.address, 240) or clean_text(", ".join(x for x in (lead.city, lead.country) if x), 240)
    social: list[dict[str, str]] = []
    for link in profile.social[: MAX_SOCIAL * 2]:
        href = urls.web_url(link.strip())
        if href and href not in (s["href"] for s in social) and len(social) < MAX_SOCIAL:
            social.append({"href": href, "label": clean_text(urls.display_host(href), 60)})
    return {
        "lang": lang,
        "t": t,
        "name": name,
        "tagline": tagline,
        "description": clean_text(tagline or (paragraphs[0] if paragraphs else ""), 160),
        "services": _cleaned_list(profile.services, MAX_SERVICES, MAX_SERVICE_CHARS),
        "paragraphs": paragraphs or [t["fallback"].format(name=name)],
        "contact": {
            "phone": phone,
            "phone_href": urls.tel_url(phone),
            "email": email,
            "email_href": urls.mailto_url(email),
            "address": address,
            "map_href": urls.map_url(address),
        },
        "social": social,
    }


def build_site(
    lead: LeadInput,
    key: str,
    profile: BrandProfile,
    *,
    theme: str | None = None,
    image_max_pixels: int = 16_000_000,
    page_weight_max_bytes: int = PAGE_WEIGHT_MAX_BYTES,
) -> SiteBundle:
    """Render the site: one `index.html` with inlined CSS, the logo and a favicon. Pure.

    `theme` overrides the per-lead choice (benchmarks, previews). The logo is shrunk, then
    dropped, if that is what it takes to stay under the page weight budget."""
    chosen = themes.THEMES[theme or themes.choose_theme(profile, key)]
    roles = palette.derive(profile.palette, chosen.scheme)
    lang = i18n.language(profile.language)
    context = page_context(lead, profile, lang)
    css = themes.render_css(chosen, roles)
    context.update(roles=roles, css=css, csp=themes.csp_for(css))
    boxes: list[tuple[int, int] | None] = [*_LOGO_BOXES, None]
    for box in boxes:
        if box is None:
            logo, favicon = None, assets.monogram(context["name"], roles.brand, roles.on_brand)
        else:
            logo, favicon = assets.logo_and_favicon(
                profile.logo, context["name"], (roles.brand, roles.on_brand), max_pixels=image_max_pixels, box=box
            )
        html = themes.render_page(chosen, {**context, "logo": logo, "favicon": favicon})
        files = {"index.html": html.encode()}
        for asset in (logo, favicon):
            if asset is not None:
                files[asset.path] = asset.data
        if sum(len(b) for b in files.values()) <= page_weight_max_bytes:
            return SiteBundle(
                slug=slug_for(lead.company, key),
                theme=chosen.name,
                files={p: base64.b64encode(b).decode() for p, b in sorted(files.items())},
                content_hash=content_hash(files),
            )
        if logo is None:
            break
    raise PermanentError(f"site for {lead.company!r} exceeds the page weight budget of {page_weight_max_bytes} bytes")
