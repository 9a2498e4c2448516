"""Palette: every text/background pair a theme draws meets WCAG 2.1 AA, and brand hues survive."""

from __future__ import annotations

import math

from coloraide import Color
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import Palette
from pipeline.render.palette import (
    BODY,
    LARGE,
    contrast,
    derive,
    ensure_contrast,
    failing_pairs,
    normalise_hex,
    oklch,
)
from pipeline.render.themes import MOODS

hex_colours = st.integers(min_value=0, max_value=0xFFFFFF).map(lambda n: f"#{n:06x}")
minimums = st.sampled_from([BODY, LARGE])


def hue_distance(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


@given(hex_colours, hex_colours)
def test_our_contrast_ratio_is_the_wcag_21_ratio(a: str, b: str) -> None:
    assert math.isclose(contrast(a, b), Color(a).contrast(b, method="wcag21"), rel_tol=1e-3)


@settings(max_examples=300, deadline=None)
@given(fg=hex_colours, bg=hex_colours, minimum=minimums)
def test_adjusted_colour_meets_the_minimum_against_its_background(fg: str, bg: str, minimum: float) -> None:
    assert contrast(ensure_contrast(fg, bg, minimum), bg) >= minimum


@settings(max_examples=300, deadline=None)
@given(fg=hex_colours, bg=hex_colours, minimum=minimums)
def test_adjusting_keeps_the_hue_of_a_colourful_brand_colour(fg: str, bg: str, minimum: float) -> None:
    adjusted = ensure_contrast(fg, bg, minimum)
    _, chroma, hue = oklch(fg)
    _, new_chroma, new_hue = oklch(adjusted)
    # Hue is only defined for colourful colours; 8-bit rounding moves near-greys' hue a lot.
    if chroma >= 0.05 and new_chroma >= 0.04:
        assert hue_distance(hue, new_hue) <= 6.0, (fg, adjusted)


@given(fg=hex_colours, bg=hex_colours, minimum=minimums)
def test_a_colour_that_already_passes_is_left_alone(fg: str, bg: str, minimum: float) -> None:
    if contrast(fg, bg) >= minimum:
        assert ensure_contrast(fg, bg, minimum) == fg


@settings(max_examples=200, deadline=None)
@given(primary=hex_colours, secondary=st.none() | hex_colours, scheme=st.sampled_from(["light", "warm", "dark"]))
def test_every_pair_of_every_theme_scheme_meets_aa(primary: str, secondary: str | None, scheme: str) -> None:
    roles = derive(Palette(primary=primary, secondary=secondary), scheme)
    assert failing_pairs(roles) == []


@settings(max_examples=100, deadline=None)
@given(primary=hex_colours)
def test_the_brand_colour_itself_is_kept_as_the_hero_background(primary: str) -> None:
    for theme in MOODS.values():
        assert derive(Palette(primary=primary), theme.scheme).brand == primary


def test_css_colours_of_any_syntax_are_normalised_and_garbage_falls_back() -> None:
    assert normalise_hex("#ABC") == "#aabbcc"
    assert normalise_hex("rgb(255 0 0)") == "#ff0000"
    assert normalise_hex("hsl(120 100% 25%)") == "#008000"
    assert normalise_hex("red;}</style><script>alert(1)</script>") == "#1f4e79"
    assert normalise_hex(None, "#000000") == "#000000"
