"""Logo fit: a clipped SVG is refitted (checked in Chromium against the browser's own geometry),
a tiny raster gives way to a wordmark, a logo in the header's own colour gets a contrasting plate."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import Browser

from pipeline.media import svg, svgbox
from pipeline.render import logofit
from pipeline.render.assets import named
from pipeline.render.site import build_site
from tests.render.html_checks import soup_of
from tests.render.profiles import KEY, LEAD, files_of, logo_asset, profile

CLIPPED = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48">'
    b'<rect width="48" height="48" rx="10" fill="#0b5394"/><text x="58" y="31" font-family="Georgia, serif" '
    b'font-size="16" fill="#0b5394">Northside Plumbing and Heating</text></svg>'
)


def _browser_boxes(browser: Browser, data: bytes) -> tuple[list[float], list[float]]:
    page = browser.new_page()
    try:
        page.set_content(data.decode())
        return page.evaluate(
            "() => { const s = document.querySelector('svg'), b = s.getBBox(), v = s.viewBox.baseVal;"
            " return [[v.x, v.y, v.x + v.width, v.y + v.height], [b.x, b.y, b.x + b.width, b.y + b.height]]; }"
        )
    finally:
        page.close()


def test_an_svg_whose_text_runs_past_its_viewbox_is_refitted_so_chromium_draws_it_whole(browser: Browser) -> None:
    clean = svg.sanitize(CLIPPED)
    view, drawn = _browser_boxes(browser, clean)
    assert drawn[2] > view[2] + 10  # Chromium agrees: the text runs past the box
    assert svgbox.overhang(clean) > logofit.svgbox.CLIP_TOLERANCE
    fitted = logofit.fit(named("logo", "svg", clean, "image/svg+xml", 160, 48), "#ffffff", "N", "#000000", "serif")
    assert fitted.logo is not None and fitted.note.startswith("svg viewBox refitted")
    view, drawn = _browser_boxes(browser, fitted.logo.data)
    assert view[0] <= drawn[0] and view[1] <= drawn[1] and drawn[2] <= view[2] and drawn[3] <= view[3]
    assert svgbox.refit(fitted.logo.data) is None  # refitting is idempotent


def test_a_tiny_raster_logo_gives_way_to_a_wordmark_of_the_name() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (24, 24), (200, 30, 30, 255)).save(buf, "PNG")
    files = files_of(build_site(LEAD, KEY, profile(logo=logo_asset(buf.getvalue()))).files)
    logo = soup_of(files["index.html"]).select_one("header img.logo")
    assert logo["src"].endswith(".svg") and b"Harbour Light Dental</text>" in files[logo["src"]]


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def test_a_logo_in_the_headers_own_colour_gets_a_contrasting_plate() -> None:
    white_ink = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40">'
        b'<rect width="100" height="40" fill="#fff"/></svg>'
    )
    asset = named("logo", "svg", svg.sanitize(white_ink), "image/svg+xml", 100, 40)
    assert logofit.fit(asset, "#fdfdfd", "A", "#000", "serif").plate == "#1a1a1a"
    assert logofit.fit(asset, "#202830", "A", "#000", "serif").plate is None
    dark = Image.new("RGBA", (200, 80), (0, 0, 0, 0))  # dark ink on a transparent ground
    dark.paste((20, 20, 30, 255), (10, 10, 190, 70))
    buf = io.BytesIO()
    dark.save(buf, "PNG")
    raster = named("logo", "png", buf.getvalue(), "image/png", 200, 80)
    assert logofit.fit(raster, "#1c2026", "A", "#fff", "serif").plate == "#ffffff"
    css = files_of(build_site(LEAD, KEY, profile(logo=logo_asset(buf.getvalue()), category="plumber")).files)
    assert re.search(r"\.logo\.plate\{background:#ffffff", css["index.html"].decode())
    opaque = named("logo", "png", _png(Image.new("RGBA", (200, 80), (20, 20, 30, 255))), "image/png", 200, 80)
    assert logofit.fit(opaque, "#1c2026", "A", "#fff", "serif").plate is None  # brings its own ground
