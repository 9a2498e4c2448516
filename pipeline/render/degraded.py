"""Degraded leads: a lead whose site could not be read at all gets a site built from the CSV row
alone (a monogram, the default palette). Such a site must not be emailed as if it were a real demo:
by default it is published (so a person can look at it) and the lead is held for review."""

from __future__ import annotations

from pipeline.models import BrandProfile

_FALLBACK_MARKS = ("site unreachable", "extraction failed")


def fallback_reason(profile: BrandProfile) -> str | None:
    """Why the profile is only the CSV row (the site unreachable or unreadable), else None."""
    for flag in profile.degraded:
        if flag.startswith(_FALLBACK_MARKS):
            return flag
    return None


def hold_reason(profile: BrandProfile, hold_degraded: bool) -> str | None:
    """The hold reason of a lead built from the CSV row alone when holding is on, else None."""
    reason = fallback_reason(profile)
    if reason is None or not hold_degraded:
        return None
    return f"degraded lead held for review (PIPELINE_HOLD_DEGRADED): {reason[:200]}"
