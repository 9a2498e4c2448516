"""The one monogram: a lead's initials on its brand colour, for a site without a usable logo
(scrape stores it as the logo; render uses it as the favicon)."""

from __future__ import annotations

import html
import re

from coloraide import Color

DARK_INK = "#1a1a1a"
FALLBACK_BACKGROUND = "#1f4e79"


def initials(name: str) -> str:
    """Up to two initials of the name's first words (letters or digits), `?` when there are none."""
    return "".join(w[0] for w in re.findall(r"[^\W_]+", name)[:2]).upper() or "?"


def ink_for(background: str) -> str:
    """White or near-black, whichever contrasts more with `background` (#faf5b2 needs dark ink)."""
    colour = Color(background)
    return "#ffffff" if colour.contrast("white") >= colour.contrast(DARK_INK) else DARK_INK


def monogram_svg(name: str, background: str, ink: str | None = None, size_px: int = 120) -> bytes:
    """A square SVG monogram; `ink` defaults to the more contrasting of white and near-black.
    An unparsable colour falls back to the default brand blue."""
    try:
        Color(background)
        ink = ink or ink_for(background)
        Color(ink)
    except (ValueError, TypeError):
        background, ink = FALLBACK_BACKGROUND, "#ffffff"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" viewBox="0 0 120 120">'
        f'<rect width="120" height="120" rx="24" fill="{html.escape(background)}"/>'
        '<text x="60" y="76" font-family="system-ui,sans-serif" font-size="48" font-weight="700" '
        f'text-anchor="middle" fill="{html.escape(ink)}">{html.escape(initials(name))}</text></svg>'
    ).encode()
