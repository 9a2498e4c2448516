"""QA stage: deployed site → gate report. Thin adapter over `pipeline.qa`: load the lead's outputs,
run the layout's visual canary when it is due, run every gate in this worker's warm browser, store
the screenshots, count the outcome for the run's breaker, and hold the lead unless every gate passed
(a `review` verdict holds it too). `LeadRecord.qa_status` says whether email may go ahead.
"""

from __future__ import annotations

import logging

from pipeline import browser as browsers
from pipeline.browser import MOBILE, screenshot_webp
from pipeline.errors import PermanentError, PipelineError, TransientError
from pipeline.models import BrandProfile, DeployResult, GateCheck, GateReport, LeadInput, QaStatus, SiteBundle, Stage
from pipeline.qa import artifacts, canary
from pipeline.qa.content import Expected
from pipeline.qa.runner import run_gates
from pipeline.render import i18n
from pipeline.render.palette import normalise_hex
from pipeline.render.site import page_context
from pipeline.stages import StageContext, StageResult

log = logging.getLogger("pipeline.stages.qa")


def expected_for(lead: LeadInput, profile: BrandProfile, logo: bool) -> Expected:
    """What the build put on the page: the same cleaned name and contact links it rendered."""
    context = page_context(lead, profile, i18n.language(profile.language))
    return Expected(
        name=context["name"],
        brand_color=normalise_hex(profile.palette.primary),
        phone=context["contact"]["phone_href"],
        email=context["contact"]["email"] or None,
        logo=logo,
    )


def run(ctx: StageContext) -> StageResult:
    """Job adapter: gate the deployed site; hold the lead unless every gate passed."""
    settings, conn, record = ctx.settings, ctx.store.conn, ctx.record
    deployed = ctx.load(Stage.DEPLOY, DeployResult)
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    bundle = ctx.load(Stage.BUILD, SiteBundle)
    browser = browsers.shared(settings)
    canary.check_due(conn, settings, browser, bundle.theme)
    has_logo = any(path.startswith("logo") for path in bundle.files)
    expected = expected_for(record.lead, profile, has_logo)
    cache = artifacts.RedisLinkCache(conn, record.run_id)
    try:
        gated = run_gates(browser, deployed.url, expected, settings, cache)
        report, shots = gated.report, gated.screenshots
    except TransientError:
        raise
    except PermanentError as exc:  # the deployed page itself is missing or refused: hold, don't kill
        report, shots = (
            GateReport(url=deployed.url, checks=[GateCheck(name="page", status="fail", detail=str(exc))]),
            {},
        )
    if report.verdict != "pass":
        shots.update(_prospect_screenshot(browser, record.lead.website))
    report.layout = bundle.theme
    report.screenshots = artifacts.save_screenshots(conn, record.key, shots, settings.qa_screenshot_ttl_s)
    tripped = artifacts.record_outcome(conn, settings, record.run_id, failed=report.verdict == "fail")
    if tripped:
        log.error("email paused: %s", tripped)
    if report.verdict == "pass":
        return StageResult(output=report, qa_status=QaStatus.PASSED)
    failing = [f"{c.name} ({c.status})" for c in report.checks if c.status != "pass"]
    return StageResult(output=report, hold=f"qa gates {report.verdict}: {', '.join(failing)}", qa_status=QaStatus.HELD)


def _prospect_screenshot(browser: browsers.Browser, website: str) -> dict[str, bytes]:
    """The prospect's own site (JavaScript off), for the reviewer to compare; best effort."""
    try:
        with browser.page(website, javascript=False, viewport=MOBILE) as page:
            return {"prospect": screenshot_webp(page)}
    except PipelineError as exc:
        log.info("no screenshot of the prospect's site %s: %s", website, exc)
        return {}
