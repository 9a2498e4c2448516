"""Logo assets are made safe: image bombs refused before decoding, rasters re-encoded, SVGs
sanitised; over HTTP too, where a refused candidate falls through to the next one."""

from __future__ import annotations

import base64
import html
import io
import struct
import zlib
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from PIL import Image

from pipeline.media import UnsafeAsset, svg
from pipeline.media.raster import logo_png
from pipeline.scrape.fallback import monogram_logo
from tests.scrape.helpers import page, scrape_url, served_site, settings

HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50"
     onload="alert(1)">
  <script>alert(1)</script>
  <foreignObject width="10" height="10"><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="http://evil.example/"/></body></foreignObject>
  <image xlink:href="http://169.254.169.254/latest/meta-data" width="10" height="10"/>
  <use href="http://evil.example/sprite.svg#x"/>
  <a href="javascript:alert(1)"><rect width="10" height="10"/></a>
  <rect width="100" height="50" fill="url(http://evil.example/p.svg#g)" onclick="steal()" style="fill:url(http://evil.example/)"/>
  <style>@import url(http://evil.example/x.css); rect { fill: red }</style>
  <animate attributeName="href" to="javascript:alert(1)"/>
  <set attributeName="onmouseover" to="alert(1)"/>
  <linearGradient id="g"><stop offset="0" stop-color="#ffffff"/></linearGradient>
  <circle cx="5" cy="5" r="4" fill="url(#g)" stroke="#cc0000"/>
  <use href="#g"/>
</svg>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"""


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (10 gigapixels by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")
    )


def raster(size: tuple[int, int] = (800, 400), fmt: str = "JPEG", color: str = "#c03030") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(("side", "reason"), [(5_000, "over the cap"), (100_000, "decompression bomb")])
def test_an_image_bomb_is_refused_from_its_header_before_decoding(side: int, reason: str) -> None:
    # 25 megapixels is over our cap; 10 gigapixels is refused by Pillow's own guard even earlier.
    with pytest.raises(UnsafeAsset, match=reason):
        logo_png(png_bomb(side, side), max_pixels=16_000_000, max_side_px=512)


def test_a_raster_logo_is_reencoded_to_png_and_shrunk() -> None:
    data, width, height = logo_png(raster(), max_pixels=16_000_000, max_side_px=256)
    assert data.startswith(b"\x89PNG")
    assert (width, height) == (256, 128)


@pytest.mark.parametrize("data", [b"GIF89a not really", b"<html>a page</html>", raster((4, 4), "PNG")])
def test_garbage_and_tracking_pixels_are_not_logos(data: bytes) -> None:
    with pytest.raises(UnsafeAsset):
        logo_png(data, max_pixels=16_000_000, max_side_px=256)


def test_a_hostile_svg_keeps_its_drawing_and_loses_everything_active_or_external() -> None:
    data = svg.sanitize(HOSTILE_SVG)
    width, height = svg.size(data) or (0, 0)
    text = data.decode()
    for bad in (
        "script",
        "onload",
        "onclick",
        "foreignObject",
        "javascript",
        "evil.example",
        "169.254",
        "animate",
        "<set",
        "@import",
        "<a",
    ):
        assert bad not in text, bad
    root = SafeET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert 'stroke="#cc0000"' in text and 'href="#g"' in text and 'fill="url(#g)"' in text
    assert (width, height) == (100, 50)


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, b"<html><body>no</body></html>", b"<svg"])
def test_svg_with_a_dtd_or_that_is_not_svg_is_refused(data: bytes) -> None:
    with pytest.raises(UnsafeAsset):
        svg.sanitize(data)


def test_a_bomb_logo_on_a_site_falls_through_to_the_next_candidate(tmp_path: Path) -> None:
    files = {
        "index.html": page(
            head='<title>Acme Bakery</title><link rel="icon" href="/favicon.png">',
            body='<header><a href="/"><img class="logo" src="/bomb.png" alt="Acme Bakery"></a></header>',
        ),
        "bomb.png": png_bomb(),
        "favicon.png": raster((64, 64), "PNG"),
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.source == "favicon"
    assert any("decompression bomb" in note for note in profile.notes)


def test_a_hostile_svg_logo_on_a_site_is_stored_sanitised(tmp_path: Path) -> None:
    files = {
        "index.html": page(
            head="<title>Acme Bakery</title>",
            body='<nav><a href="/"><img src="/img/acme-logo.svg" alt="Acme Bakery"></a></nav>',
        ),
        "img/acme-logo.svg": HOSTILE_SVG,
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url, settings(image_max_pixels=1_000_000))
    assert profile.logo is not None and profile.logo.media_type == "image/svg+xml"
    stored = base64.b64decode(profile.logo.data_b64).decode()
    assert "script" not in stored and "evil.example" not in stored and "onload" not in stored
    assert profile.logo.url is not None and profile.logo.url.endswith("/img/acme-logo.svg")


_NAMES = st.sampled_from(
    ["onload", "onclick", "OnMouseOver", "href", "xlink:href", "style", "fill", "filter", "mask", "viewBox", "d"]
)
_VALUES = st.sampled_from(
    [
        "javascript:alert(1)",
        "url(http://evil.example/x)",
        "url( 'https://evil.example/x' )",
        "#ok",
        "url(#ok)",
        "@import 'x.css'",
        "data:text/html,<script>alert(1)</script>",
        "red",
        "M0 0L10 10",
    ]
)


@settings_(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["rect", "use", "image", "g", "text", "a", "script"]), _NAMES, _VALUES), max_size=8
    )
)
def test_sanitised_svg_never_keeps_handlers_or_external_references(parts: list[tuple[str, str, str]]) -> None:
    body = "".join(f'<{tag} {name}="{html.escape(value)}"/>' for tag, name, value in parts)
    data = svg.sanitize(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{body}</svg>'.encode()
    )
    root = SafeET.fromstring(data)
    for node in root.iter():
        assert node.tag.rsplit("}", 1)[-1] not in {"script", "a", "foreignObject"}
        for name, value in node.attrib.items():
            assert not name.rsplit("}", 1)[-1].lower().startswith("on")
            assert "javascript:" not in value and "evil.example" not in value and "@import" not in value
            if name.endswith("href"):
                assert value.startswith("#")


def test_a_monogram_on_a_pale_brand_colour_uses_dark_letters() -> None:
    pale = base64.b64decode(monogram_logo("Schreinerei Röhrig", "#faf5b2").data_b64).decode()
    dark = base64.b64decode(monogram_logo("Sisters Cafe", "#8b2c00").data_b64).decode()
    assert 'fill="#1a1a1a">SR<' in pale and 'fill="#ffffff">SC<' in dark
