"""Colours in CSS values: parsing a colour, its chroma, lightness and CIEDE2000 distance, and the
colours a declaration's value paints once `var()` references are resolved through the custom
properties most visitors get (`custom_properties`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import tinycss2
from coloraide import Color
from tinycss2.ast import FunctionBlock, HashToken, IdentToken, Node

from pipeline.scrape.css import Decl

NEUTRAL_CHROMA = 0.035  # OKLCH chroma under which a colour is grey, near-white or near-black
_FUNCS = {"rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "color"}


@lru_cache(maxsize=4096)
def parse_color(text: str) -> tuple[str, float] | None:
    """('#rrggbb', alpha) for a CSS colour, None for anything else (`currentColor`, `inherit`, ...)."""
    try:
        color = Color(text)
    except (ValueError, TypeError, KeyError):
        return None
    srgb = color.convert("srgb").fit("srgb")
    return srgb.to_string(hex=True, alpha=False), float(srgb.alpha())


@lru_cache(maxsize=4096)
def chroma(hex_color: str) -> float:
    """OKLCH chroma: how far from grey."""
    return float(Color(hex_color).convert("oklch")["chroma"])


@lru_cache(maxsize=65536)
def delta_e(a: str, b: str) -> float:
    """CIEDE2000 distance of two colours."""
    return float(Color(a).delta_e(Color(b), method="2000"))


@lru_cache(maxsize=4096)
def lightness(hex_color: str) -> float:
    """OKLCH lightness, 0 (black) to 1 (white)."""
    return float(Color(hex_color).convert("oklch")["lightness"])


def is_neutral(hex_color: str) -> bool:
    """Grey, near-white or near-black."""
    return chroma(hex_color) < NEUTRAL_CHROMA


_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,([^()]*))?\)", re.I)
_ROOT_SEL = re.compile(r"^\s*(:root|html|body|\*|:host)(\s*,\s*(:root|html|body|\*|:host))*\s*$", re.I)
DARK_SELECTOR = re.compile(r"dark|night|high-contrast", re.I)  # overrides most visitors never see


def substitute(text: str, variables: dict[str, str]) -> str:
    """`var(--x, fallback)` replaced by the variable's text (or the fallback), innermost first, a
    few levels deep: `rgb(var(--brand-rgb))` and `hsl(var(--primary))` become colours too."""
    for _ in range(4):
        if "var(" not in text.lower():
            break
        text = _VAR.sub(lambda m: variables.get(m[1], (m[2] or "").strip()), text)
    return text


@lru_cache(maxsize=8192)
def _parsed(text: str) -> tuple[Node, ...]:
    return tuple(tinycss2.parse_component_value_list(text, skip_comments=True))


def colors_in(value: Iterable[Node], variables: dict[str, str], depth: int = 0) -> list[str]:
    """The opaque-enough colours in a declaration value, `var(--x)` resolved through `variables`
    (custom property → its value's text)."""
    found: list[str] = []
    for token in value:
        text: str | None = None
        if isinstance(token, HashToken):
            text = "#" + token.value
        elif isinstance(token, FunctionBlock):
            name = token.lower_name
            if name in _FUNCS:
                text = token.serialize()
                if "var(" in text.lower():
                    text = substitute(text, variables)
            elif name == "var":
                ref = next((t.value for t in token.arguments if isinstance(t, IdentToken)), "")
                if ref in variables and depth < 5:
                    found.extend(colors_in(_parsed(variables[ref]), variables, depth + 1))
                else:
                    found.extend(colors_in(token.arguments, variables, depth + 1))
                continue
            else:  # gradients and the like: look inside
                found.extend(colors_in(token.arguments, variables, depth + 1))
                continue
        elif isinstance(token, IdentToken) and token.lower_value not in {"transparent", "inherit", "none"}:
            text = token.value
        if text is not None:
            parsed = parse_color(text)
            if parsed is not None and parsed[1] >= 0.3:
                found.append(parsed[0])
    return found


def custom_properties(decls: list[Decl]) -> dict[str, str]:
    """Custom property → value text as most visitors get it: definitions on `:root`/`html`/`body`
    (the last one wins, as in the cascade), other selectors only for names the root leaves
    undefined, and dark-mode or high-contrast overrides not at all."""
    root: dict[str, str] = {}
    other: dict[str, str] = {}
    for d in decls:
        if not d.name.startswith("--") or DARK_SELECTOR.search(d.selector):
            continue
        (root if _ROOT_SEL.match(d.selector) or d.selector.startswith("[inline]") else other)[d.name] = d.text
    return {**other, **root}
