"""The gates in real Chromium against built sites on 127.0.0.1: a clean site passes every gate,
and each defect fails the gate that is about it."""

from __future__ import annotations

import pytest

from pipeline.browser import Browser
from pipeline.deploy.local import LocalWebRoot
from pipeline.models import GateReport
from pipeline.qa.links import MemoryLinkCache
from pipeline.qa.runner import run_gates
from pipeline.render.themes import THEME_NAMES
from tests.qa.sites import expected, publish, tamper
from tests.render.profiles import profile
from tests.support.browser import browser_settings

SETTINGS = browser_settings(qa_check_external_links=False)


def gates(browser: Browser, url: str, lorem: bool = False) -> GateReport:
    prof = profile(paragraphs=["Lorem ipsum dolor sit amet, consectetur adipiscing elit."]) if lorem else None
    return run_gates(browser, url, expected(prof), SETTINGS, MemoryLinkCache()).report


def failing(report: GateReport) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.status != "pass"}


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_a_clean_built_site_passes_every_gate(guarded_browser: Browser, site_root: LocalWebRoot, theme: str) -> None:
    url, _ = publish(site_root, f"clean-{theme}", theme=theme)
    reuse = theme != THEME_NAMES[0]  # one layout in a fresh context, the others on the reused page
    gated = run_gates(guarded_browser, url, expected(), SETTINGS, MemoryLinkCache(), reuse=reuse)
    report = gated.report
    assert failing(report) == {}
    assert [c.name for c in report.checks] == ["performance", "accessibility", "content", "links", "layout"]
    perf = report.checks[0].evidence
    assert perf["score"] >= 90 and perf["requests"] >= 2 and perf["bytes"] > 0
    assert report.checks[3].evidence["external"]  # social and map links judged by the guard
    assert {view: shot[8:12] for view, shot in gated.screenshots.items()} == {"desktop": b"WEBP", "mobile": b"WEBP"}


def test_a_missing_logo_fails_the_content_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    url, folder = publish(site_root, "no-logo")
    next(folder.glob("logo-*")).unlink()
    problems = failing(gates(guarded_browser, url))
    assert "the logo did not load" in problems["content"]


def test_low_contrast_fails_the_accessibility_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    url, folder = publish(site_root, "low-contrast")
    tamper(folder, css="body,body p,body li{color:#c8c8c8 !important}")
    problems = failing(gates(guarded_browser, url))
    assert "color-contrast (serious" in problems["accessibility"]


def test_lorem_ipsum_fails_the_content_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    prof = profile(paragraphs=["Lorem ipsum dolor sit amet, consectetur adipiscing elit."])
    url, _ = publish(site_root, "lorem", prof)
    problems = failing(gates(guarded_browser, url, lorem=True))
    assert "placeholder text 'Lorem ipsum'" in problems["content"]


def test_a_broken_link_fails_the_links_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    url, folder = publish(site_root, "broken-link")
    tamper(folder, body='<p><a href="prices.html">Our prices</a> and <a href="tel:call-us">call</a></p>')
    problems = failing(gates(guarded_browser, url))
    assert f"{url}prices.html answered 404" in problems["links"]
    assert "malformed 'tel:call-us'" in problems["links"]


def test_horizontal_overflow_fails_the_layout_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    url, folder = publish(site_root, "overflow")
    tamper(folder, css=".banner{width:900px;height:40px;background:#123}", body='<div class="banner"></div>')
    problems = failing(gates(guarded_browser, url))
    assert "mobile: scrolls sideways by" in problems["layout"]
    assert "desktop: scrolls sideways" not in problems["layout"]


def test_a_clipped_logo_fails_the_content_gate(guarded_browser: Browser, site_root: LocalWebRoot) -> None:
    url, folder = publish(site_root, "clipped-logo")
    tamper(folder, css=".site-header .brand{max-height:24px;overflow:hidden}")
    problems = failing(gates(guarded_browser, url))
    assert "the logo is clipped by p.brand" in problems["content"]
