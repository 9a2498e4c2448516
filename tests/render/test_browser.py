"""Built pages in Chromium: keyboard users see where they are, and small screens get no sideways scroll."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from pipeline.deploy.local import LocalWebRoot
from pipeline.render.site import build_site
from pipeline.render.themes import THEME_NAMES
from tests.render.profiles import KEY, LEAD, profile


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_the_skip_link_comes_first_shows_on_focus_and_every_link_has_a_visible_focus_ring(
    theme: str, browser: Browser, web_root: LocalWebRoot
) -> None:
    url = web_root.publish(build_site(LEAD, KEY, profile(), theme=theme)).url
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(url)
        page.keyboard.press("Tab")
        skip = page.evaluate(
            "() => { const a = document.activeElement, r = a.getBoundingClientRect(), s = getComputedStyle(a);"
            " return {href: a.getAttribute('href'), top: r.top, outline: s.outlineStyle, width: s.outlineWidth}; }"
        )
        assert skip["href"] == "#main" and skip["top"] >= 0
        assert skip["outline"] != "none" and skip["width"] != "0px"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        rings = {}
        for _ in range(12):
            page.keyboard.press("Tab")
            href, ring = page.evaluate(
                "() => { const a = document.activeElement;"
                " return [a.getAttribute('href'), getComputedStyle(a).outlineStyle]; }"
            )
            if href is not None:
                rings[href] = ring
        assert len(rings) >= 8  # nav, call to action, phone, email, map, social
        assert [href for href, ring in rings.items() if ring == "none"] == []
    finally:
        page.close()


@pytest.mark.parametrize("theme", THEME_NAMES)
@pytest.mark.parametrize("width", [320, 768, 1440])
def test_pages_fit_the_screen_from_320_px_up(theme: str, width: int, browser: Browser, web_root: LocalWebRoot) -> None:
    long_words = profile(name="Donaudampfschifffahrtsgesellschaftskapitänswitwe Ltd", tagline="x" * 90)
    url = web_root.publish(build_site(LEAD, KEY, long_words, theme=theme)).url
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto(url)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        logo_height = page.evaluate("() => document.querySelector('img.logo').getBoundingClientRect().height")
        assert 0 < logo_height <= 120
    finally:
        page.close()
