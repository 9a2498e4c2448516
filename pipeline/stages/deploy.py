"""Deploy stage: site bundle → published site at a stable URL. `undeploy_lead` is its compensation.

The work is the configured deploy target's (`pipeline.deploy`, the local web root by default);
this module is the job adapter plus the functions the job engine and the CLI call.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.deploy import LocalWebRoot, target_for
from pipeline.models import BrandProfile, DeployResult, SiteBundle, Stage
from pipeline.render.degraded import hold_reason
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult


def publish_bundle(settings: Settings, bundle: SiteBundle) -> DeployResult:
    """Publish a bundle to the configured target; a no-op when that version is already live."""
    return target_for(settings).publish(bundle)


def undeploy_lead(settings: Settings, slug: str) -> bool:
    """Compensation for a failed send or a rejected review: take the site down. Idempotent;
    True when something was removed."""
    return target_for(settings).undeploy(slug)


def rollback_lead(settings: Settings, slug: str) -> DeployResult:
    """Make a site's previous version live again (PermanentError when there is none)."""
    return target_for(settings).rollback(slug)


def publish(bundle: SiteBundle, web_root: Path, base_url: str) -> DeployResult:
    """Publish to a given local web root (the walking skeleton's signature, kept for callers)."""
    return LocalWebRoot(web_root, base_url).publish(bundle)


def undeploy(slug: str, web_root: Path) -> bool:
    """Remove a site from a given local web root; idempotent (the skeleton's signature)."""
    return LocalWebRoot(web_root, "http://127.0.0.1/").undeploy(slug)


def run(ctx: StageContext) -> StageResult:
    """Job adapter: publish the built bundle to the configured deploy target. A lead built from
    the CSV row alone (its site unreachable) is held for review here, published but never emailed."""
    bundle = ctx.load(Stage.BUILD, SiteBundle)
    result = publish_bundle(ctx.settings, bundle)
    hold = hold_reason(ctx.load(Stage.SCRAPE, BrandProfile), ctx.settings.hold_degraded)
    return StageResult(output=result, site_url=result.url, hold=hold)
