"""Build stage: lead + brand profile → a deterministic, content-hashed site bundle.

Thin version of the walking skeleton: one Jinja2 theme, the logo copied as a file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.models import BrandProfile, LeadInput, SiteBundle, Stage
from pipeline.stages import StageContext, StageResult

_ENV = Environment(loader=PackageLoader("pipeline", "themes"), autoescape=select_autoescape(default=True))
_EXT = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def slug_for(company: str, key: str) -> str:
    """URL- and path-safe slug, unique per lead: ascii words of the name plus the key's head."""
    ascii_name = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"{words or 'site'}-{key[:8]}"


def content_hash(files: dict[str, bytes]) -> str:
    """Hash of every path and its bytes, in path order: the bundle's version."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return h.hexdigest()[:16]


def build_site(lead: LeadInput, key: str, profile: BrandProfile) -> SiteBundle:
    """Render the site. Pure: the same lead and profile give the same bytes."""
    files: dict[str, bytes] = {}
    logo_file = ""
    if profile.logo:
        logo_file = f"logo.{_EXT.get(profile.logo.media_type, 'img')}"
        files[logo_file] = base64.b64decode(profile.logo.data_b64)
    phone_digits = re.sub(r"[^0-9+]", "", profile.phone or "")
    page = _ENV.get_template("base.html").render(
        profile=profile,
        lead=lead,
        primary=profile.palette.primary,
        logo_file=logo_file,
        phone_href=f"tel:{phone_digits}" if phone_digits else None,
    )
    files["index.html"] = page.encode()
    return SiteBundle(
        slug=slug_for(lead.company, key),
        theme="base",
        files={p: base64.b64encode(b).decode() for p, b in sorted(files.items())},
        content_hash=content_hash(files),
    )


def run(ctx: StageContext) -> StageResult:
    """Job adapter: build the site from the scraped profile."""
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    return StageResult(output=build_site(ctx.record.lead, ctx.record.key, profile))
