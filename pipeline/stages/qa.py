"""QA stage: deployed site URL → gate report. A failing gate holds the lead for review.

Thin version of the walking skeleton: an HTTP check of the deployed page (status, business name,
placeholder text, logo loads). The browser gates come in their own issue.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from pipeline.errors import TransientError
from pipeline.models import BrandProfile, DeployResult, GateCheck, GateReport, Stage
from pipeline.stages import StageContext, StageResult

PLACEHOLDERS = re.compile(r"lorem ipsum|\{\{|\}\}|\{%|\bTODO\b|\bTBD\b|placeholder", re.IGNORECASE)


def _get(session: requests.Session, url: str, timeout_s: float) -> requests.Response:
    try:
        return session.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise TransientError(f"qa could not reach {url}: {type(exc).__name__}") from exc


def check_site(url: str, business_name: str, session: requests.Session, timeout_s: float = 10.0) -> GateReport:
    """Run the HTTP gates on a deployed page."""
    resp = _get(session, url, timeout_s)
    if resp.status_code == 429 or resp.status_code >= 500:
        # the preview/web server is struggling, not the site: retry rather than hold
        raise TransientError(f"qa got HTTP {resp.status_code} from {url}")
    checks = [
        GateCheck(name="status", status="pass" if resp.status_code == 200 else "fail", detail=str(resp.status_code))
    ]
    if resp.status_code != 200:
        return GateReport(url=url, checks=checks)
    soup = BeautifulSoup(resp.text, "lxml")
    for tag in soup(["style", "script", "template"]):
        tag.decompose()
    text = soup.get_text(" ", strip=True)
    has_name = business_name.casefold() in text.casefold()
    checks.append(GateCheck(name="content:name", status="pass" if has_name else "fail", detail=business_name))
    # What a visitor reads: the text and the human-facing attributes (CSS may legitimately hold `}}`)
    attributes = " ".join(str(t.get(a, "")) for t in soup.find_all(True) for a in ("alt", "title", "aria-label"))
    found = PLACEHOLDERS.search(text) or PLACEHOLDERS.search(attributes)
    checks.append(
        GateCheck(
            name="content:placeholder", status="fail" if found else "pass", detail=found.group(0) if found else ""
        )
    )
    logo = soup.find("img")
    if logo is None or not logo.get("src"):
        checks.append(GateCheck(name="logo", status="fail", detail="no logo image"))
    else:
        img = _get(session, urljoin(url, str(logo["src"])), timeout_s)
        ok = img.status_code == 200 and img.headers.get("Content-Type", "").startswith("image/") and bool(img.content)
        checks.append(
            GateCheck(name="logo", status="pass" if ok else "fail", detail=f"{img.status_code} {logo['src']}")
        )
    return GateReport(url=url, checks=checks)


def run(ctx: StageContext) -> StageResult:
    """Job adapter: check the deployed site; hold the lead when a gate fails."""
    deployed = ctx.load(Stage.DEPLOY, DeployResult)
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    with requests.Session() as session:
        report = check_site(deployed.url, profile.name, session)
    failed = [c.name for c in report.checks if c.status != "pass"]
    return StageResult(output=report, hold=f"qa gates failed: {', '.join(failed)}" if failed else None)
