"""Everything from the scraped site is data: hostile values in every field come out inert,
in the built HTML and in real Chromium (no dialog, no script, no CSP violation)."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import Browser

from pipeline.deploy.local import LocalWebRoot
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette
from pipeline.render.site import build_site
from pipeline.render.themes import THEME_NAMES
from tests.render.html_checks import inert_problems, soup_of, structure_problems
from tests.render.profiles import KEY, files_of

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    "'><svg onload=window.__xss=3>",
    "javascript:window.__xss=4",
    "</style><script>window.__xss=5</script>",
    '<a href="javascript:window.__xss=6">x</a>',
    "data:text/html,<script>window.__xss=7</script>",
    '\u202e<iframe srcdoc="<script>parent.__xss=8</script>">',
    "{{ 7*7 }}{% raw %}",
    "<style>body{background:url(https://evil.example/)}</style>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
]
EVIL = " ".join(PAYLOADS)
SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="window.__xss=9">'
    b"<script>window.__xss=10</script><rect width='10' height='10'/></svg>"
)


def hostile_profile(variant: int = 0) -> BrandProfile:
    p = PAYLOADS[variant % len(PAYLOADS)]
    return BrandProfile(
        name="Evil " + p,
        website="https://evil.example/" + p,
        tagline=EVIL,
        logo=LogoAsset(
            media_type='image/svg+xml" onerror="window.__xss=11',
            data_b64=base64.b64encode(SVG_LOGO).decode(),
            source=p,
            url="javascript:window.__xss=12",
        ),
        palette=Palette(primary="red;}</style><script>window.__xss=13</script>", secondary=p, colors=[p]),
        phone="+1 555 0100 " + p,
        email='"><script>window.__xss=14</script>@evil.example',
        address="1 Main St " + p,
        social=[
            "javascript:window.__xss=15",
            'https://evil.example/"onmouseover="window.__xss=16',
            "https://evil.example/<script>",
            "data:text/html,<script>window.__xss=17</script>",
            "https://ok.example/profile",
        ],
        language='en"><script>window.__xss=18</script>',
        paragraphs=PAYLOADS,
        services=PAYLOADS,
        category=p,
        sources={"name": p},
        degraded=[p],
    )


HOSTILE_LEAD = LeadInput(
    company="Evil <script>window.__xss=19</script> Ltd",
    website="https://evil.example/",
    email="owner@evil.example",
    phone="<img src=x onerror=window.__xss=20>",
    city="<script>window.__xss=21</script>",
)


@pytest.mark.parametrize("theme", THEME_NAMES)
@pytest.mark.parametrize("variant", range(len(PAYLOADS)))
def test_hostile_profile_fields_come_out_as_inert_text(theme: str, variant: int) -> None:
    files = files_of(build_site(HOSTILE_LEAD, KEY, hostile_profile(variant), theme=theme).files)
    html = files["index.html"]
    soup = soup_of(html)

    assert inert_problems(html, set(files)) == []
    assert structure_problems(html) == []
    assert "<script>window.__xss=1</script>" in soup.select_one(".tagline").get_text()  # shown, as text
    assert "{{ 7*7 }}" in soup.get_text() and "49" not in soup.get_text()
    assert soup.html["lang"] == "en"
    assert [a["href"] for a in soup.select("footer a")] == ["https://ok.example/profile"]
    # the hostile address is no address: the lead's own one stands in
    assert [a["href"] for a in soup.select('a[href^="mailto:"]')] == ["mailto:owner@evil.example"]
    for name, data in files.items():
        if name != "index.html":
            assert b"script" not in data and b"onload" not in data, name


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_hostile_profile_does_nothing_in_chromium(theme: str, browser: Browser, web_root: LocalWebRoot) -> None:
    """Given a page built from hostile data, when Chromium loads it, then no script runs, no dialog
    opens, nothing off-site is requested, and the CSP (which pins our stylesheet) reports nothing."""
    result = web_root.publish(build_site(HOSTILE_LEAD, KEY, hostile_profile(1), theme=theme))
    context = browser.new_context()
    dialogs: list[str] = []
    requests: list[str] = []
    try:
        page = context.new_page()
        page.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(result.url, wait_until="load")
        page.hover("footer")
        page.wait_for_timeout(100)
        flags = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__xss'))")
        violations = page.evaluate("() => window.__violations")
        styled = page.evaluate("() => getComputedStyle(document.querySelector('.hero')).backgroundColor")
    finally:
        context.close()
    assert dialogs == [] and flags == [] and violations == []
    assert all(url.startswith(web_root.base_url) for url in requests), requests
    assert styled != "rgba(0, 0, 0, 0)"  # the stylesheet applied: its CSP hash is right
