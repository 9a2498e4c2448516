"""Logo and favicon: untrusted bytes in, small clean deterministic files out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from pipeline.media import UnsafeAsset
from pipeline.media.svg import sanitize
from pipeline.render import assets
from tests.render.profiles import logo_asset, noisy_photo, png_logo

MAX_PIXELS = 16_000_000


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 27.0, 0.0)}  # GPS IFD
    return exif.tobytes()


def test_a_large_jpeg_logo_is_resized_and_reencoded_without_its_metadata() -> None:
    source = png_logo((2400, 960), exif=exif_with_gps(), fmt="JPEG")
    assert b"SpyCam" in source

    logo, favicon = assets.logo_and_favicon(
        logo_asset(source, "image/jpeg"), "Acme", ("#123456", "#ffffff"), max_pixels=MAX_PIXELS
    )

    assert logo is not None and logo.media_type == "image/webp"
    assert b"SpyCam" not in logo.data and b"Exif" not in logo.data
    im = Image.open(io.BytesIO(logo.data))
    assert im.size == (logo.width, logo.height)
    assert im.width <= assets.LOGO_BOX_PX[0] and im.height <= assets.LOGO_BOX_PX[1]
    assert not im.info.get("exif") and not im.info.get("icc_profile")
    assert favicon.media_type == "image/png"
    assert Image.open(io.BytesIO(favicon.data)).size == (32, 32)


def test_the_same_logo_gives_the_same_bytes_and_file_names_carry_the_content_hash() -> None:
    first = assets.logo_and_favicon(logo_asset(png_logo()), "Acme", ("#123456", "#ffffff"), max_pixels=MAX_PIXELS)
    second = assets.logo_and_favicon(logo_asset(png_logo()), "Acme", ("#123456", "#ffffff"), max_pixels=MAX_PIXELS)
    assert first == second
    assert first[0] is not None
    assert first[0].path.startswith("logo-") and first[1].path.startswith("favicon-")


def test_an_image_over_the_pixel_cap_is_refused_before_decoding() -> None:
    big = png_logo((1000, 1000))
    logo, favicon = assets.logo_and_favicon(logo_asset(big), "Acme Bakery", ("#123456", "#ffffff"), max_pixels=999_999)
    assert logo is None
    assert favicon.media_type == "image/svg+xml" and b">AB</text>" in favicon.data


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a" + b"\xff" * 20],
)
def test_garbage_logo_bytes_fall_back_to_an_initials_favicon(data: bytes) -> None:
    logo, favicon = assets.logo_and_favicon(logo_asset(data), "Zed", ("#000000", "#ffffff"), max_pixels=MAX_PIXELS)
    assert logo is None
    assert favicon.media_type == "image/svg+xml"


def test_a_photo_that_compresses_badly_is_stored_lossy_and_small() -> None:
    logo, _ = assets.logo_and_favicon(
        logo_asset(noisy_photo((900, 400))), "N", ("#000000", "#ffffff"), max_pixels=MAX_PIXELS
    )
    assert logo is not None and len(logo.data) < 120_000


HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 50"
     onload="alert(1)">
  <script>alert(2)</script>
  <style>@import url(https://evil.example/x.css); .a{fill:red}</style>
  <a xlink:href="javascript:alert(3)"><rect width="10" height="10"/></a>
  <foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/></foreignObject>
  <image href="https://evil.example/track.png" width="1" height="1"/>
  <use xlink:href="https://evil.example/sprite.svg#x"/>
  <use xlink:href="#keep"/>
  <rect id="keep" width="100" height="50" fill="url(#g)" style="fill:url(https://evil.example/)"/>
  <circle cx="5" cy="5" r="4" onclick="alert(4)" fill="#123456"/>
  <animate attributeName="href" to="javascript:alert(5)"/>
  <linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>
  <text x="1" y="9">Acme &amp; Co</text>
</svg>"""


def test_a_hostile_svg_keeps_its_drawing_and_loses_everything_active() -> None:
    clean = sanitize(HOSTILE_SVG).decode()
    for bad in ("script", "onload", "onclick", "javascript", "evil.example", "foreignObject", "iframe", "<image",
                "@import", "<animate", "<a "):  # fmt: skip
        assert bad not in clean, bad
    assert '<use href="#keep">' in clean
    assert 'fill="url(#g)"' in clean and "<circle" in clean and "Acme &amp; Co" in clean
    assert 'width="100" height="50"' in clean  # sized from the viewBox


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><svg>&lol2;</svg>',
        b'<!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><svg>&lol2;</svg>',
        b'<!DOCTYPE svg [<!ENTITY % p "x"> %p;]><svg>x</svg>',
        b'<!DOCTYPE svg [<!ENTITY x "y">]><!DOCTYPE svg [<!ENTITY z SYSTEM "file:///etc/passwd">]><svg>&z;</svg>',
        b"<html><body>not svg</body></html>",
        b"<svg",
    ],
)
def test_svg_with_entities_or_that_is_not_svg_is_refused(data: bytes) -> None:
    with pytest.raises(UnsafeAsset):
        sanitize(data)


def test_an_illustrator_svg_with_the_svg_dtd_and_namespace_entities_is_accepted() -> None:
    data = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!-- Generator: Adobe Illustrator 12.0.0 -->\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n'
        b'\t<!ENTITY ns_svg "http://www.w3.org/2000/svg">\n\t<!ENTITY ns_xlink "http://www.w3.org/1999/xlink">\n]>\n'
        b'<svg version="1.1" xmlns="&ns_svg;" xmlns:xlink="&ns_xlink;" viewBox="0 0 40 20">'
        b'<rect width="40" height="20" fill="#00a33d"/><script>alert(1)</script></svg>'
    )
    clean = sanitize(data).decode()
    assert "<rect" in clean and "#00a33d" in clean and "script" not in clean and "ENTITY" not in clean


def test_an_svg_logo_is_used_as_the_favicon_too() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect width="40" height="20"/></svg>'
    logo, favicon = assets.logo_and_favicon(
        logo_asset(svg, "image/svg+xml"), "A", ("#000000", "#ffffff"), max_pixels=MAX_PIXELS
    )
    assert logo is not None and logo == favicon
    assert (logo.width, logo.height) == (40, 20)


def test_the_initials_favicon_escapes_the_name() -> None:
    favicon = assets.monogram("<script> &amp", "#000000", "#ffffff")
    assert b"<script" not in favicon.data


def test_the_media_type_is_not_trusted_the_bytes_decide() -> None:
    as_svg, _ = assets.logo_and_favicon(
        logo_asset(png_logo(), "image/svg+xml"), "A", ("#000000", "#ffffff"), max_pixels=MAX_PIXELS
    )
    assert as_svg is not None and as_svg.media_type == "image/webp"
    html = b"<html><script>alert(1)</script></html>"
    as_png, favicon = assets.logo_and_favicon(
        logo_asset(html, "image/png"), "A", ("#000000", "#ffffff"), max_pixels=MAX_PIXELS
    )
    assert as_png is None and b"script" not in favicon.data
