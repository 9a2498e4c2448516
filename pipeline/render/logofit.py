"""Logo fit: a logo must show whole and readable in the header, or not at all.

- An SVG whose drawing runs past its own viewBox (text set wider than the box) gets its viewBox
  recomputed around the drawing, with a little padding (`media.svgbox.refit`).
- A raster too small to read (a 16 px favicon passed off as a logo) gives way to a wordmark: the
  business name set in type, as an SVG we write ourselves.
- A logo drawn in (nearly) the header's own colour gets a plate behind it: white or near-black,
  whichever the logo's ink stands out on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from xml.sax.saxutils import escape

from pipeline.media import UnsafeAsset, raster, svg, svgbox
from pipeline.render.assets import Asset, named
from pipeline.render.palette import contrast, normalise_hex

TINY_PX = 48  # a raster logo whose longer side is under this is unreadable in a header
LEGIBLE = 2.0  # contrast of the logo's ink with the header below which it needs a plate
PLATES = ("#ffffff", "#1a1a1a")
_FILL = re.compile(r'(?:fill|stroke)(?:="|:\s*)(#[0-9a-fA-F]{3,6})\b')


@dataclass(frozen=True)
class LogoFit:
    """The logo to show (None: no logo), the plate behind it (None: none), and what was done."""

    logo: Asset | None
    plate: str | None
    note: str


def wordmark(name: str, ink: str, font: str) -> Asset:
    """The business name as an SVG wordmark in `ink` (a colour that reads on the header)."""
    text = name if len(name) <= 40 else name[:39] + "…"
    width = round(len(text) * 26 * 0.62) + 8
    data = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40" width="{width}" height="40">'
        f'<text x="4" y="29" font-family="{escape(font, {chr(34): "&quot;"})}" font-size="26" font-weight="700" '
        f'fill="{normalise_hex(ink)}">{escape(text)}</text></svg>'
    ).encode()
    return named("logo", "svg", data, "image/svg+xml", width, 40)


def _svg_inks(data: bytes) -> list[str]:
    found = [normalise_hex(c.lower(), "#000000") for c in _FILL.findall(data.decode(errors="ignore"))]
    return found or ["#000000"]  # SVG's default fill is black


def _raster_inks(data: bytes) -> list[str]:
    try:
        im = raster.decode(data, max_pixels=4_000_000)
    except UnsafeAsset:
        return []
    if im.getchannel("A").getextrema()[0] == 255:
        return []  # an opaque image brings its own background: a plate would only frame it
    px = im.resize((32, 32)).tobytes()  # RGBA
    return [f"#{px[i]:02x}{px[i + 1]:02x}{px[i + 2]:02x}" for i in range(0, len(px), 4) if px[i + 3] >= 128]


def needs_plate(inks: list[str], header: str) -> str | None:
    """The plate colour when most of the logo's ink is too close to the header colour, else None."""
    if not inks:
        return None
    readable = sum(1 for ink in inks if contrast(ink, header) >= LEGIBLE)
    if readable >= len(inks) / 2:
        return None
    common = Counter(inks).most_common(1)[0][0]
    return max(PLATES, key=lambda plate: contrast(common, plate))


def fit(logo: Asset | None, header: str, name: str, ink: str, font: str) -> LogoFit:
    """Fix what can be fixed, fall back to a wordmark where the logo cannot be read."""
    if logo is None:
        return LogoFit(None, None, "none")
    if logo.media_type == "image/svg+xml":
        refitted = svgbox.refit(logo.data)
        note = "svg viewBox refitted to its drawing" if refitted else "svg fits"
        if refitted is not None:
            width, height = svg.size(refitted) or (logo.width, logo.height)
            logo = named("logo", "svg", refitted, "image/svg+xml", width, height)
        return LogoFit(logo, needs_plate(_svg_inks(logo.data), header), note)
    if max(logo.width, logo.height) < TINY_PX:
        return LogoFit(wordmark(name, ink, font), None, f"raster of {logo.width}x{logo.height} too small: wordmark")
    return LogoFit(logo, needs_plate(_raster_inks(logo.data), header), "raster")
