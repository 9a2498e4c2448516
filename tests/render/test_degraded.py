"""Degraded leads: a CSV-only profile (site unreachable) is held for review unless holding is off."""

from __future__ import annotations

from pipeline.models import LeadInput
from pipeline.render.degraded import fallback_reason, hold_reason
from pipeline.scrape.fallback import fallback_profile
from tests.render.profiles import profile

LEAD = LeadInput(company="Gone Fishing", website="https://gone.example.com/", email="owner@gone.example.com")


def test_an_unreachable_site_is_held_for_review_by_default_and_emailed_only_when_holding_is_off() -> None:
    csv_only = fallback_profile(LEAD, "connection refused")
    assert fallback_reason(csv_only) == "site unreachable: connection refused"
    reason = hold_reason(csv_only, hold_degraded=True)
    assert reason is not None and "held for review" in reason and "connection refused" in reason
    assert hold_reason(csv_only, hold_degraded=False) is None


def test_a_real_profile_with_a_few_fallbacks_is_not_held() -> None:
    partial = profile(degraded=["phone: not found on the site, CSV phone used", "logo: monogram generated"])
    assert hold_reason(partial, hold_degraded=True) is None
    failed = fallback_profile(LEAD, "extraction failed: ValueError: bad page")
    assert hold_reason(failed, hold_degraded=True) is not None
