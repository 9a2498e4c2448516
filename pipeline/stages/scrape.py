"""Scrape stage: the prospect's website → `BrandProfile` (name, logo, colours, contact, copy).

The work is in `pipeline.scrape`: a safe HTTP client (`fetch`), a small crawler (`site`), pure
extractors (`brand` and the modules it calls) and the logo download (`assets`). This module ties
them together and adapts them to the stage contract: a transient failure of the home page is raised
to be retried unless retries are used up; then, or on a permanent failure, the lead goes on with
the CSV row's data, a monogram logo and the default palette, flagged `degraded`.
"""

from __future__ import annotations

import logging

from rq.timeouts import JobTimeoutException

from pipeline.browser import Browser
from pipeline.errors import PermanentError, TransientError
from pipeline.models import BrandProfile, LeadInput
from pipeline.scrape import photos, render
from pipeline.scrape.assets import download_logo
from pipeline.scrape.brand import extract_brand
from pipeline.scrape.budget import RedisBudget
from pipeline.scrape.fallback import fallback_profile, monogram_logo
from pipeline.scrape.fetch import Fetcher
from pipeline.scrape.site import crawl
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult

log = logging.getLogger(__name__)


def scrape(
    lead: LeadInput, settings: Settings, fetcher: Fetcher, *, final_attempt: bool, browser: Browser | None = None
) -> BrandProfile:
    """Crawl the lead's site and extract its brand; degrade to the CSV row when the site is gone.
    With rendering on (`scrape_render`), the home page is also rendered (on `browser`, default the
    process's warm one) for colours and the logo's place."""
    notes: list[str] = []
    try:
        site = crawl(lead.website, fetcher, settings, notes)
    except TransientError as exc:
        if not final_attempt:
            raise
        return fallback_profile(lead, str(exc))
    except PermanentError as exc:
        return fallback_profile(lead, str(exc))
    seen = render.observe(site, settings, lead.company, notes, browser) if render.wanted(settings) else None
    try:
        profile, candidates = extract_brand(site, lead, seen)
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        # A page that trips the extractors (absurd nesting, malformed markup or CSS we did not
        # foresee) must not stop the lead: it goes on with the CSV data, flagged, and the error is logged.
        log.exception("brand extraction failed for %s", lead.website)
        return fallback_profile(lead, f"extraction failed: {type(exc).__name__}: {exc}")
    profile.logo = download_logo(site, candidates, fetcher, settings, notes)
    if profile.logo is None:
        profile.logo = monogram_logo(profile.name, profile.palette.primary)
        profile.degraded.append("logo: no usable logo on the site, monogram generated")
    profile.sources["logo"] = profile.logo.source
    if settings.scrape_photo_max > 0:
        found = photos.candidates(site, {profile.logo.url} if profile.logo.url else set())
        profile.photos = photos.download_photos(site, found, fetcher, settings, notes)
    profile.notes = notes
    return profile


def run(ctx: StageContext) -> StageResult:
    """Job adapter: scrape the lead's website."""
    # shared by every attempt of this lead's scrape; a requeue (new generation) starts afresh
    budget = RedisBudget(ctx.store.conn, f"{ctx.record.key}:{ctx.record.generation}")
    try:
        with Fetcher(ctx.settings, budget=budget) as fetcher:
            profile = scrape(ctx.record.lead, ctx.settings, fetcher, final_attempt=ctx.final_attempt)
    except JobTimeoutException:
        # The site was too slow for the job's time: retried like any transient failure, but the
        # last attempt goes on with the CSV row's data instead of killing the lead.
        if not ctx.final_attempt:
            raise
        profile = fallback_profile(ctx.record.lead, "the site was too slow: the scrape job timed out")
    return StageResult(output=profile, degraded=profile.degraded)
