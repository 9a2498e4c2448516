"""The renderer on real pages in Debian's Chromium: colours a visitor sees, the logo where it sits,
every request through the guarded fetcher, and the hostile-page tests of this folder re-run with the
renderer on (imported below: pytest collects them here again, with `_render_on` applied)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser as PWBrowser

from pipeline.deploy.local import LocalWebRoot
from pipeline.scrape import render
from pipeline.scrape.colorvalue import delta_e
from pipeline.scrape.page import Page, Site
from tests.scrape import helpers
from tests.scrape import test_hostile_sites as hostile
from tests.scrape.helpers import page, scrape_url, served_site, settings, warm_browser
from tests.scrape.test_assets import (  # noqa: F401  (re-run with the renderer on)
    test_a_bomb_logo_on_a_site_falls_through_to_the_next_candidate,
    test_a_hostile_svg_logo_on_a_site_is_stored_sanitised,
)
from tests.scrape.test_extraction import (  # noqa: F401
    png,
    test_an_asset_redirecting_off_the_site_is_not_followed_when_off_site_assets_are_off,
    test_same_site_absolute_urls_are_read_from_the_served_origin_and_other_hosts_never_fetched,
)
from tests.scrape.test_hostile_sites import _loopback_only_sockets, browser, web_root  # noqa: F401
from tests.scrape.test_stage import (  # noqa: F401
    test_a_home_page_that_is_not_html_degrades,
    test_a_missing_home_page_degrades_at_once_without_retries,
    test_an_absurdly_nested_page_still_gives_a_profile,
    test_css_beyond_the_budget_is_not_fetched,
)
from tests.support.hostile_sites import CASES, Case


@pytest.fixture(autouse=True)
def _render_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(helpers.RENDER, "mode", "on")
    # A scrape that is given no browser renders on the process's warm one, as a worker's would be.
    monkeypatch.setattr(render, "shared", warm_browser)


def test_the_colour_a_visitor_sees_beats_the_colour_the_css_mentions_most(tmp_path: Path) -> None:
    # 40 rules in blue that match nothing on the page; the header and button a visitor sees are red.
    unused = "".join(f".promo-{i} a {{ color: #1d4ed8 }} .card-{i} {{ border-color: #1d4ed8 }}" for i in range(40))
    css = unused + " .top { background: #b22222; height: 90px } .book { background: #b22222; padding: 12px }"
    body = '<div class="top"><p>Acme Bakery</p></div><a class="book" href="/book">Book a table</a>'
    files = {"index.html": page(head='<link rel="stylesheet" href="/site.css">', body=body), "site.css": css}
    with served_site(tmp_path, files) as url:
        rendered = scrape_url(url)
        static = scrape_url(url, settings(scrape_render="off"))
    assert delta_e(rendered.palette.primary, "#b22222") <= 3, rendered.palette
    assert rendered.sources["palette"].startswith("rendered")
    assert delta_e(static.palette.primary, "#1d4ed8") <= 3  # what the static parser alone concludes


def test_the_logo_is_the_image_the_header_shows_even_without_a_logo_hint(tmp_path: Path) -> None:
    body = (
        '<header style="height:100px"><a href="/"><img src="/img/acme.png" width="200" height="70"></a></header>'
        '<main><img src="/img/team.png" width="600" height="400" alt="our team"></main>'
    )
    files = {"index.html": page(body=body), "img/acme.png": png(size=(200, 70)), "img/team.png": png(size=(60, 40))}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.url == url + "img/acme.png", profile.logo


def test_every_request_of_the_rendered_page_goes_through_the_guard_and_stays_on_the_site(tmp_path: Path) -> None:
    head = (
        '<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">'
        '<link rel="stylesheet" href="https://cdn.example.net/framework.css">'
        '<link rel="preload" as="font" href="/font.woff2">'
    )
    body = (
        '<img src="http://10.0.0.1/tracker.png"><img src="file:///etc/passwd"><iframe src="http://127.0.0.2/"></iframe>'
        '<video src="/clip.mp4"></video><img class="logo" src="/logo.png" alt="Acme">'
    )
    files = {"index.html": page(head=head, body=body), "logo.png": png()}
    cfg = settings(scrape_render="on")
    notes: list[str] = []
    with served_site(tmp_path, files) as url:
        home = Page.parse(url, (tmp_path / "index.html").read_bytes())
        seen = render.observe(Site(origin=url, pages=[home]), cfg, "Acme", notes, warm_browser(cfg))
    assert seen is not None, notes
    refused = " ".join(seen.refused)
    for blocked in ("169.254.169.254", "cdn.example.net", "10.0.0.1", "127.0.0.2", "clip.mp4"):
        assert blocked in refused
    assert all(url.startswith(("http://", "https://")) for url in seen.refused)  # file: never even asked


def test_without_a_browser_the_static_parser_carries_on(tmp_path: Path) -> None:
    cfg = settings(scrape_render="auto", chromium_path=tmp_path / "no-chromium")
    assert not render.wanted(cfg)
    css = ":root { --primary: #2a6f97 } a { color: var(--primary) }"
    with served_site(tmp_path, {"index.html": page(head=f"<style>{css}</style>", body="<a href='/x'>x</a>")}) as url:
        profile = scrape_url(url, cfg)
    assert delta_e(profile.palette.primary, "#2a6f97") <= 3 and not profile.sources["palette"].startswith("rendered")


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP", "JPEG"])
def test_an_image_size_is_read_from_its_header_without_decoding(fmt: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (321, 123), "#2a6f97").save(out, format=fmt)
    assert render.image_size(out.getvalue()) == (321, 123)
    assert render.image_size(b"<svg/>") is None


RENDER_ALLOWANCE_S = 2.5  # what rendering the home page may add to a hostile case's time limit (a loaded CI host)


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            dataclasses.replace(c, max_seconds=c.max_seconds + RENDER_ALLOWANCE_S),
            id=c.name,
            marks=[pytest.mark.xfail(reason=c.xfail, strict=False)] if c.xfail else [],
        )
        for c in CASES
    ],
)
def test_each_hostile_site_ends_as_expected_with_the_renderer_on(
    case: Case,
    browser: PWBrowser,  # noqa: F811 (the hostile module's fixture)
    web_root: LocalWebRoot,  # noqa: F811
    tmp_path: Path,
) -> None:
    hostile.test_each_hostile_site_ends_as_expected_and_its_generated_site_is_inert(case, browser, web_root, tmp_path)


def test_buttons_drawn_by_pseudo_elements_beat_social_icons_in_their_networks_colours(tmp_path: Path) -> None:
    # Black language buttons drawn by each link's ::before; round icons in Facebook blue and Instagram
    # pink whose links a deleted script used to set: a monochrome page, not Facebook's blue.
    css = (
        ".pick { display: inline-flex; width: 280px; height: 55px; margin: 10px }"
        ".pick a:before { position: absolute; content: attr(data-label); width: 280px; height: 55px;"
        " background: #000; color: #fff }"
        ".icon { width: 50px; height: 50px; border-radius: 50% } .facebook { background: #3b5999 }"
        " .instagram { background: #e1306c }"
    )
    picks = "".join(f'<span class="pick"><a href="/{c}.html" data-label="{c}"></a></span>' for c in ("fr", "en", "de"))
    icons = '<div class="icon facebook"><i class="fa fa-facebook-f"></i></div><div class="icon instagram"></div>'
    files = {"index.html": page(head='<link rel="stylesheet" href="/site.css">', body=picks + icons), "site.css": css}
    with served_site(tmp_path, files) as url:
        rendered = scrape_url(url)
    assert rendered.palette.primary == "#000000", rendered.palette
