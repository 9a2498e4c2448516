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
from pipeline.models import BrandProfile, LeadInput, Photo, SiteBundle
from pipeline.render import assets, i18n, logofit, palette, photos, themes, urls

PAGE_WEIGHT_MAX_BYTES = 250_000
MAX_SERVICES, MAX_SERVICE_CHARS = 12, 160
MAX_PARAGRAPHS, MAX_PARAGRAPH_CHARS = 6, 1_200
MAX_SOCIAL = 8
LOGO_MAX_CSS_PX = (192, 56)
MAX_HOURS, MAX_TESTIMONIALS, MAX_QUOTE_CHARS = 8, 3, 420
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


def _services(profile: BrandProfile) -> list[dict[str, str]]:
    """Services with their descriptions when the site gave them, else the bare titles."""
    items = [(i.title, i.description) for i in profile.service_items] or [(t, "") for t in profile.services]
    out: list[dict[str, str]] = []
    for title, description in items:
        clean_title = clean_text(title, 80)
        if clean_title and clean_title not in (s["title"] for s in out):
            out.append({"title": clean_title, "description": clean_text(description, MAX_SERVICE_CHARS)})
        if len(out) == MAX_SERVICES:
            break
    return out


def _hours(profile: BrandProfile, lang: str) -> list[dict[str, str]]:
    """Opening hours rows, day codes in the page's language ("Mo – Fr"), else the days as found."""
    names = i18n.day_names(lang)
    rows: list[dict[str, str]] = []
    for row in profile.hours[:MAX_HOURS]:
        codes = [c for c in row.codes if c in names]
        order = [i18n.DAY_CODES.index(c) for c in codes]
        if len(codes) > 2 and order == list(range(order[0], order[0] + len(order))):
            days = f"{names[codes[0]]} – {names[codes[-1]]}"
        else:
            days = ", ".join(names[c] for c in codes) or clean_text(row.days, 60)
        times = clean_text(row.times, 60)
        if days and times:
            rows.append({"days": days, "times": times})
    return rows


def _testimonials(profile: BrandProfile) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in profile.testimonials:
        quote = clean_text(item.quote, MAX_QUOTE_CHARS)
        if quote and quote not in (t["quote"] for t in out):
            out.append({"quote": quote, "author": clean_text(item.author, 80)})
        if len(out) == MAX_TESTIMONIALS:
            break
    return out


def page_context(lead: LeadInput, profile: BrandProfile, lang: str) -> dict[str, Any]:
    """Template values from the lead and profile, every one cleaned; no markup, no raw URLs.
    Nothing is invented: a section without data is left out (`present`)."""
    t = i18n.labels(lang)
    name = clean_text(profile.name, 120) or clean_text(lead.company, 120)
    tagline = clean_text(profile.tagline, 200)
    paragraphs = _cleaned_list(profile.paragraphs, MAX_PARAGRAPHS, MAX_PARAGRAPH_CHARS)
    phone = clean_text(profile.phone or lead.phone, 40)
    email = urls.valid_email(profile.email) or urls.valid_email(lead.email) or ""
    address = clean_text(profile.address, 240)
    social: list[dict[str, str]] = []
    for link in profile.social[: MAX_SOCIAL * 2]:
        href = urls.web_url(link.strip())
        if href and href not in (s["href"] for s in social) and len(social) < MAX_SOCIAL:
            social.append({"href": href, "label": clean_text(urls.display_host(href), 60)})
    services, hours, testimonials = _services(profile), _hours(profile, lang), _testimonials(profile)
    told = {s["description"].rstrip("…") for s in services if s["description"]}
    paragraphs = [p for p in paragraphs if not any(p.startswith(d) or d.startswith(p) for d in told)]
    return {
        "lang": lang,
        "t": t,
        "name": name,
        "tagline": tagline,
        "description": clean_text(tagline or (paragraphs[0] if paragraphs else ""), 160),
        "services": services,
        "described": any(s["description"] for s in services),
        "paragraphs": paragraphs,
        "hours": hours,
        "testimonials": testimonials,
        "contact": {
            "phone": phone,
            "phone_href": urls.tel_url(phone),
            "email": email,
            "email_href": urls.mailto_url(email),
            "address": address,
            # a map only for a postal address (a street number or a postcode), not a bare town
            "map_href": urls.map_url(address) if re.search(r"\d", address) else None,
        },
        "social": social,
    }


def _sections(layout: themes.Layout, context: dict[str, Any], gallery: list[Any]) -> list[dict[str, str]]:
    """The layout's sections that have content, in page order: the nav lists exactly these."""
    t = context["t"]
    present = {
        "services": ("services", bool(context["services"])),
        "about": ("about", bool(context["paragraphs"])),
        "gallery": ("photos", bool(gallery)),
        "testimonials": ("reviews_nav", bool(context["testimonials"])),
        "contact": ("contact", True),
    }
    return [{"id": s, "label": t[present[s][0]]} for s in layout.sections if present[s][1]]


def _photo_inputs(profile: BrandProfile, name: str, t: dict[str, str]) -> list[tuple[Photo, str]]:
    return [(p, clean_text(p.alt, 160) or t["photo"].format(name=name)) for p in profile.photos[: photos.MAX_PHOTOS]]


def _logo_box(logo: assets.Asset | None) -> tuple[int, int]:
    """The logo's size on the page in CSS px (at most 192 wide, 56 high, ratio kept): written as
    its width and height, so the header never shifts while the file loads."""
    if logo is None:
        return (0, 0)
    scale = min(LOGO_MAX_CSS_PX[1] / logo.height, LOGO_MAX_CSS_PX[0] / logo.width)
    return max(1, round(logo.width * scale)), max(1, round(logo.height * scale))


def page_weight(files: dict[str, bytes]) -> int:
    """Bytes one visit downloads at most: the page and every file it names, counting only the
    largest candidate of each `srcset` (a browser fetches one)."""
    html = files["index.html"].decode()
    named = set(re.findall(r'(?:src|href)="([^"#:]+)"', html))
    return len(files["index.html"]) + sum(len(files[p]) for p in sorted(named) if p in files)


def _render(
    lead: LeadInput,
    key: str,
    choice: tuple[themes.Layout, themes.Theme],
    context: dict[str, Any],
    pictures: list[photos.Picture],
    logo_pair: tuple[assets.Asset | None, assets.Asset],
) -> tuple[SiteBundle, int]:
    layout, mood = choice
    logo, favicon = logo_pair
    hero = pictures[0] if pictures and layout.name in ("photo", "split") else None
    gallery = [p for p in pictures if p is not hero]
    html = themes.render_page(
        layout,
        mood,
        {
            **context,
            "logo": logo,
            "logo_box": _logo_box(logo),
            "favicon": favicon,
            "hero_photo": hero,
            "gallery": gallery,
            "sections": _sections(layout, context, gallery),
        },
    )
    files = {"index.html": html.encode()}
    for asset in (logo, favicon, *(v for p in pictures for v in p.variants)):
        if asset is not None:
            files[asset.path] = asset.data
    bundle = SiteBundle(
        slug=slug_for(lead.company, key),
        theme=layout.name,
        files={p: base64.b64encode(b).decode() for p, b in sorted(files.items())},
        content_hash=content_hash(files),
    )
    return bundle, page_weight(files)


def build_site(
    lead: LeadInput,
    key: str,
    profile: BrandProfile,
    *,
    theme: str | None = None,
    image_max_pixels: int = 16_000_000,
    page_weight_max_bytes: int = PAGE_WEIGHT_MAX_BYTES,
) -> SiteBundle:
    """Render the site: one `index.html` with inlined CSS, the logo, a favicon and the photos. Pure.

    `theme` overrides the per-lead layout (benchmarks, previews). To stay under the page weight
    budget the photos are written smaller, then dropped (last first), then the logo is shrunk,
    then dropped."""
    mood = themes.MOODS[themes.choose_mood(profile, key)]
    roles = palette.derive(profile.palette, mood.scheme)
    lang = i18n.language(profile.language)
    context = page_context(lead, profile, lang)
    photo_inputs = _photo_inputs(profile, context["name"], context["t"])
    wanted = theme or themes.choose_layout(profile, mood.name, len(photo_inputs))
    attempts: list[tuple[photos.Plan | None, int, tuple[int, int] | None]] = [
        (plan, len(photo_inputs), _LOGO_BOXES[0]) for plan in photos.PLANS
    ]
    attempts += [(photos.PLANS[-1], n, _LOGO_BOXES[0]) for n in range(len(photo_inputs) - 1, 0, -1)]
    attempts += [(None, 0, box) for box in (*_LOGO_BOXES, None)]
    for plan, count, box in attempts:
        pictures = photos.pictures(photo_inputs[:count], plan, image_max_pixels) if plan and count else []
        layout = themes.layout_for(wanted, len(pictures))
        if box is None:
            pair: tuple[assets.Asset | None, assets.Asset] = (
                None,
                assets.monogram(context["name"], roles.brand, roles.on_brand),
            )
        else:
            pair = assets.logo_and_favicon(
                profile.logo, context["name"], (roles.brand, roles.on_brand), max_pixels=image_max_pixels, box=box
            )
        fitted = logofit.fit(pair[0], roles.bg, context["name"], roles.link, mood.heading_font)
        pair = (fitted.logo, pair[1])
        css = themes.render_css(mood, layout, roles, fitted.plate or "#ffffff")
        ctx = {**context, "roles": roles, "css": css, "csp": themes.csp_for(css), "logo_plate": bool(fitted.plate)}
        bundle, weight = _render(lead, key, (layout, mood), ctx, pictures, pair)
        if weight <= page_weight_max_bytes:
            return bundle
        if box is None or (pair[0] is None and plan is None):
            break
    raise PermanentError(f"site for {lead.company!r} exceeds the page weight budget of {page_weight_max_bytes} bytes")
