"""Theme colours from brand colours, every text/background pair meeting WCAG 2.1 AA.

Pure functions. A brand colour is moved only in OKLCH lightness (chroma is reduced, by ray tracing
in OKLCH, only as far as the sRGB gamut demands), so the hue survives; contrast is measured on the final 8-bit `#rrggbb`
exactly as WCAG 2.1 defines it, so rounding can never push a pair below its minimum.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

from coloraide import Color

from pipeline.models import Palette

BODY = 4.5  # WCAG 2.1 AA, body text
LARGE = 3.0  # WCAG 2.1 AA, large text and UI components (1.4.11)

_HEX = re.compile(r"^#[0-9a-f]{6}$")
DEFAULT_PRIMARY = "#1f4e79"


def normalise_hex(value: str | None, default: str = DEFAULT_PRIMARY) -> str:
    """Any CSS colour the profile carries → `#rrggbb`; anything unparsable → `default`."""
    if not value or len(value) > 100:
        return default
    try:
        color = Color(value.strip())
    except (ValueError, TypeError):
        return default
    hexed = str(color.convert("srgb").fit(method="clip").set("alpha", 1).to_string(hex=True)).lower()
    if len(hexed) == 4:  # coloraide compresses #aabbcc to #abc
        hexed = "#" + "".join(ch * 2 for ch in hexed[1:])
    return hexed if _HEX.match(hexed) else default


@lru_cache(maxsize=4096)
def luminance(hex_color: str) -> float:
    """WCAG 2.1 relative luminance of `#rrggbb`."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def oklch(hex_color: str) -> tuple[float, float, float]:
    """(lightness 0-1, chroma, hue in degrees or NaN) of a `#rrggbb` colour."""
    c = Color(hex_color).convert("oklch")
    return float(c["lightness"]), float(c["chroma"]), float(c["hue"])


def from_oklch(lightness: float, chroma: float, hue: float) -> str:
    """`#rrggbb` of an OKLCH colour, chroma reduced (hue and lightness kept) to fit sRGB."""
    hue = 0.0 if math.isnan(hue) else hue
    c = Color("oklch", [min(max(lightness, 0.0), 1.0), max(chroma, 0.0), hue]).fit(
        "srgb", method="raytrace", pspace="oklch"
    )
    return normalise_hex(c.convert("srgb").to_string(hex=True, fit="clip"), "#000000")


def _passes(fg: str, bgs: Sequence[str], minimum: float) -> bool:
    return all(contrast(fg, bg) >= minimum for bg in bgs)


def ensure_contrast(fg: str, bgs: str | Sequence[str], minimum: float) -> str:
    """`fg` itself when it meets `minimum` against every background, else the colour of the same
    hue with the smallest lightness change that does (black or white as a last resort)."""
    backs = [bgs] if isinstance(bgs, str) else list(bgs)
    if _passes(fg, backs, minimum):
        return fg
    lightness, chroma, hue = oklch(fg)
    best: tuple[float, str] | None = None
    for target in (0.0, 1.0):
        if not _passes(from_oklch(target, chroma, hue), backs, minimum):
            continue
        fail, ok = lightness, target  # invariant: `ok` passes
        for _ in range(22):
            mid = (fail + ok) / 2
            if _passes(from_oklch(mid, chroma, hue), backs, minimum):
                ok = mid
            else:
                fail = mid
        change = abs(ok - lightness)
        if best is None or change < best[0]:
            best = (change, from_oklch(ok, chroma, hue))
    if best is not None:
        return best[1]
    return max(("#000000", "#ffffff"), key=lambda c: min(contrast(c, bg) for bg in backs))


def tint(hex_color: str, lightness: float, chroma: float) -> str:
    """The brand hue at a given OKLCH lightness and (at most) chroma: backgrounds, ink."""
    _, c, h = oklch(hex_color)
    return from_oklch(lightness, min(c, chroma), h)


def readable_on(bg: str, minimum: float = BODY) -> str:
    """Text colour for a background: a near-white or near-black of the background's hue."""
    light, dark = tint(bg, 0.985, 0.01), tint(bg, 0.18, 0.03)
    first = max((light, dark), key=lambda c: contrast(c, bg))
    return ensure_contrast(first, bg, minimum)


@dataclass(frozen=True)
class Roles:
    """The colours a theme's CSS may use. `PAIRS` lists every combination the CSS draws."""

    bg: str  # page background
    surface: str  # alternate section / card background
    text: str  # body text on bg and surface
    muted: str  # secondary text on bg and surface
    link: str  # links on bg and surface (brand primary, adjusted)
    brand: str  # hero / header background (brand primary, as is)
    on_brand: str  # text and links on brand
    accent: str  # borders, rules, focus rings on bg and surface (secondary, adjusted)
    button: str  # call-to-action background on brand
    on_button: str  # call-to-action text


# (foreground role, background role, minimum ratio): what the themes' CSS draws.
PAIRS: tuple[tuple[str, str, float], ...] = (
    ("text", "bg", BODY),
    ("text", "surface", BODY),
    ("muted", "bg", BODY),
    ("muted", "surface", BODY),
    ("link", "bg", BODY),
    ("link", "surface", BODY),
    ("on_brand", "brand", BODY),
    ("accent", "bg", LARGE),
    ("accent", "surface", LARGE),
    ("on_button", "button", BODY),
    ("button", "brand", LARGE),
)

# Background lightness per scheme: (bg, surface, text, muted).
_SCHEMES = {
    "light": (0.995, 0.965, 0.24, 0.42),
    "warm": (0.975, 0.995, 0.26, 0.44),
    "dark": (0.2, 0.26, 0.96, 0.84),
}


def derive(palette: Palette, scheme: str) -> Roles:
    """Theme roles from brand colours; every pair in `PAIRS` meets its WCAG minimum."""
    primary = normalise_hex(palette.primary)
    secondary = normalise_hex(palette.secondary, primary) if palette.secondary else primary
    bg_l, surface_l, text_l, muted_l = _SCHEMES[scheme]
    tint_hue = secondary if scheme == "warm" else primary
    bg = tint(tint_hue, bg_l, 0.012 if scheme != "dark" else 0.03)
    surface = tint(tint_hue, surface_l, 0.02 if scheme != "dark" else 0.035)
    backs = (bg, surface)
    text = ensure_contrast(tint(primary, text_l, 0.03), backs, BODY + 2)
    muted = ensure_contrast(tint(primary, muted_l, 0.04), backs, BODY)
    link = ensure_contrast(primary, backs, BODY)
    brand = primary
    on_brand = readable_on(brand, BODY)
    accent = ensure_contrast(secondary, backs, LARGE)
    button = ensure_contrast(on_brand, brand, LARGE)
    on_button = readable_on(button, BODY)
    return Roles(
        bg=bg,
        surface=surface,
        text=text,
        muted=muted,
        link=link,
        brand=brand,
        on_brand=on_brand,
        accent=accent,
        button=button,
        on_button=on_button,
    )


def failing_pairs(roles: Roles) -> list[str]:
    """Every pair of `PAIRS` below its minimum, as readable strings (empty = all pass)."""
    values = {f.name: getattr(roles, f.name) for f in fields(roles)}
    return [
        f"{fg} {values[fg]} on {bg} {values[bg]}: {contrast(values[fg], values[bg]):.2f} < {minimum}"
        for fg, bg, minimum in PAIRS
        if contrast(values[fg], values[bg]) < minimum
    ]
