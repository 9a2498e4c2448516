"""What a lead gets when its site gives nothing usable: a generated monogram logo, a default
palette, and the CSV row's own details, each flagged in `degraded`."""

from __future__ import annotations

import base64
import hashlib

from pipeline.media.monogram import monogram_svg
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette
from pipeline.scrape.names import csv_name

DEFAULT_PALETTE = Palette(primary="#1f4e79", secondary="#f2a900", colors=["#1f4e79", "#f2a900"])


def monogram_logo(name: str, color: str) -> LogoAsset:
    """The generated SVG monogram (`pipeline.media.monogram`) as the lead's logo."""
    svg = monogram_svg(name, color)
    return LogoAsset(
        media_type="image/svg+xml",
        data_b64=base64.b64encode(svg).decode(),
        source="monogram",
        width=120,
        height=120,
        sha256=hashlib.sha256(svg).hexdigest(),
    )


def fallback_profile(lead: LeadInput, reason: str) -> BrandProfile:
    """The profile made from the CSV row alone, flagged degraded."""
    name = csv_name(lead.company, lead.website)
    return BrandProfile(
        name=name,
        website=lead.website,
        logo=monogram_logo(name, DEFAULT_PALETTE.primary),
        palette=DEFAULT_PALETTE,
        phone=lead.phone or None,
        email=lead.email,
        sources={"name": "csv", "logo": "monogram", "palette": "default", "email": "csv", "phone": "csv"},
        degraded=[_reason(reason), "name: csv", "logo: monogram", "palette: default"],
    )


def _reason(reason: str) -> str:
    return reason if reason.startswith("extraction failed") else f"site unreachable: {reason}"
