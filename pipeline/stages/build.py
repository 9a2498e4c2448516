"""Build stage: lead + brand profile → a deterministic, content-hashed site bundle.

The core is `pipeline.render.site.build_site` (pure); this module is the job adapter.
"""

from __future__ import annotations

from pipeline.models import BrandProfile, Stage
from pipeline.render.site import build_site, content_hash, slug_for
from pipeline.stages import StageContext, StageResult

__all__ = ["build_site", "content_hash", "run", "slug_for"]


def run(ctx: StageContext) -> StageResult:
    """Job adapter: build the site from the scraped profile."""
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    bundle = build_site(
        ctx.record.lead,
        ctx.record.key,
        profile,
        image_max_pixels=ctx.settings.image_max_pixels,
        page_weight_max_bytes=ctx.settings.page_weight_max_bytes,
    )
    return StageResult(output=bundle)
