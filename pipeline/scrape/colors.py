"""Brand colours from real CSS: every colour a site uses gets a vote weighted by where it is used
(custom property names, `theme-color`, buttons, links, header, nav, logo), `var()` references are
resolved so a variable counts where it is used, framework stylesheets count little, and the votes
are clustered in CIELab with CIEDE2000. Greys, near-white and near-black win only when the brand's
own signals (a `--primary` variable, `theme-color`, button and header fills) are neutral.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.scrape.colorvalue import (
    DARK_SELECTOR,
    chroma,
    colors_in,
    custom_properties,
    delta_e,
    is_neutral,
    lightness,
    parse_color,
)
from pipeline.scrape.css import Decl, declarations, inline_declarations, vendor_sheet
from pipeline.scrape.page import Sheet, Site

CLUSTER_DE = 10.0  # CIEDE2000 distance under which two colours are one brand colour
SECONDARY_DE = 20.0
TINT_CHROMA = 0.015  # under colorvalue.NEUTRAL_CHROMA but still visibly tinted
FRAMEWORK_CAP = 3.0  # OKLCH chroma under which a colour is grey/white/black

# Frameworks' default palettes (Bootstrap 3/4/5 theme, state, hover and focus colours): a site that
# did not restyle them shows them everywhere, bundled into its own CSS, yet they are not its brand.
FRAMEWORK_DEFAULTS = frozenset(
    [
        "#0d6efd",
        "#0b5ed7",
        "#0a58ca",
        "#0a53be",
        "#3d8bfd",
        "#86b7fe",
        "#cfe2ff",
        "#6610f2",
        "#6f42c1",
        "#d63384",
        "#dc3545",
        "#bb2d3b",
        "#fd7e14",
        "#ffc107",
        "#ffca2c",
        "#198754",
        "#157347",
        "#20c997",
        "#0dcaf0",
        "#31d2f2",
        "#6c757d",
        "#007bff",
        "#0069d9",
        "#0062cc",
        "#0056b3",
        "#80bdff",
        "#b8daff",
        "#e83e8c",
        "#28a745",
        "#218838",
        "#17a2b8",
        "#138496",
        "#c82333",
        "#e0a800",
        "#337ab7",
        "#286090",
        "#23527c",
        "#2e6da4",
        "#66afe9",
        "#5cb85c",
        "#449d44",
        "#5bc0de",
        "#31b0d5",
        "#f0ad4e",
        "#ec971f",
        "#d9534f",
        "#c9302c",
    ]
)
_FRAMEWORK_VAR = re.compile(r"^--(bs|tw|pico|wp|swiper|fa|glide|owl|quarto|leaflet)-", re.I)
_BRAND_NAME = re.compile(r"primary|brand|main|accent|theme|key|highlight", re.I)
_SECOND_NAME = re.compile(r"secondary|second|alt", re.I)
_DULL_NAME = re.compile(
    r"bg|background|text|body|border|shadow|gr[ae]y|white|black|dark|light|muted|surface|page", re.I
)
_STRONG_SEL = re.compile(r"btn|button|cta|\bnav|navbar|menu|header|logo|brand|hero|banner|primary|accent", re.I)
_LINK_SEL = re.compile(r"(^|[\s>+~,(])a(\b|:|\[|\.)|link|h1|h2|h3|title|heading|icon", re.I)
# Colours of other brands (social buttons, booking widgets) and of UI states are not the business's.
_NOT_BRAND_SEL = re.compile(
    r"facebook|\bfb\b|instagram|twitter|tweet|linkedin|youtube|whatsapp|tiktok|pinterest|google|maps|doctolib|"
    r"calendly|booking|opentable|tripadvisor|yelp|deliveroo|lieferando|paypal|social|share|cookie|consent|"
    r"alert|error|success|warning|danger|invalid|valid|toast|scrollbar|selection|placeholder|autofill|"
    r"highlight|syntax|code|pre\b|hljs|token",
    re.I,
)
_COLOR_PROPS = {
    "color",
    "background",
    "background-color",
    "background-image",
    "border",
    "border-color",
    "border-top",
    "border-bottom",
    "border-left",
    "border-right",
    "border-top-color",
    "border-bottom-color",
    "border-left-color",
    "border-right-color",
    "outline",
    "outline-color",
    "fill",
    "stroke",
    "text-decoration-color",
    "box-shadow",
    "accent-color",
    "caret-color",
    "column-rule-color",
}


@dataclass
class Votes:
    """Colour (#rrggbb) → accumulated weight, plus weights from the brand's own signals only."""

    weight: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    brand: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    origin: dict[str, str] = field(default_factory=dict)
    strongest: dict[str, float] = field(default_factory=dict)
    framework: set[str] = field(default_factory=set)  # colours voted for only by frameworks' defaults

    def add(self, color: str, weight: float, origin: str, *, brand: bool = False) -> None:
        """One vote; `brand` marks signals a monochrome brand is allowed to win on. A colour's
        origin is its strongest single vote."""
        self.weight[color] += weight
        if brand:
            self.brand[color] += weight
        if weight > self.strongest.get(color, -1.0):
            self.strongest[color] = weight
            self.origin[color] = origin


@dataclass
class BrandColors:
    """The result: primary, secondary, palette (strongest first) and where the primary came from."""

    primary: str | None
    secondary: str | None
    palette: list[str]
    source: str


def _sheet_factor(sheet: Sheet) -> float:
    if sheet.inline:
        return 1.5
    return 0.15 if vendor_sheet(sheet.url) else 1.0


def _decl_weight(decl: Decl) -> tuple[float, bool]:
    """How much a colour in this declaration says about the brand, and whether it is a brand signal."""
    sel, prop = decl.selector, decl.name
    background = prop.startswith("background")
    strong = bool(_STRONG_SEL.search(sel))
    if strong and (background or prop in {"color", "fill", "border-color", "border"}):
        weight, brand = (3.0 if background else 2.0), background
    elif _LINK_SEL.search(sel) and prop in {"color", "fill", "text-decoration-color", "border-bottom", "background"}:
        weight, brand = 1.5, False
    elif background or prop in {"fill", "stroke"}:
        weight, brand = 1.0, False
    else:
        weight, brand = 0.6, False
    if ":hover" in sel or ":focus" in sel or ":active" in sel:
        weight *= 0.5
    if _NOT_BRAND_SEL.search(sel):
        return weight * 0.1, False
    return weight, brand


UNSEEN_FACTOR = 0.15  # a rule the rendered home page shows nowhere
_STATE = re.compile(
    r"::?(hover|focus|focus-within|focus-visible|active|visited|before|after|placeholder|selection|first-letter|"
    r"first-line|marker|-webkit-[\w-]+|-moz-[\w-]+)(\([^()]*\))?",
    re.I,
)
MAX_SELECTORS = 3000


def selector_to_match(selector: str) -> str:
    """A rule's selector without the states and pseudo-elements a static page never is in, so
    `querySelector` tells whether the rule styles anything on the page."""
    return _STATE.sub("", selector).strip() or "*"


def color_selectors(site: Site) -> list[str]:
    """The selectors of the site's own colour rules (what the renderer checks against the page)."""
    found: dict[str, None] = {}
    for sheet in site.sheets:
        for d in declarations(sheet):
            if d.name in _COLOR_PROPS and len(found) < MAX_SELECTORS:
                found[selector_to_match(d.selector)] = None
    return list(found)


def collect(site: Site, shown: dict[str, bool] | None = None) -> Votes:
    """Weighted colour votes from the site's stylesheets, inline styles and `theme-color`. With
    `shown` (selector → whether the rendered page has an element it matches), a rule that styles
    nothing on the page counts little: the CSS mentions it, no visitor sees it."""
    decls = [d for sheet in site.sheets for d in declarations(sheet)]
    home = site.home
    for tag in home.soup.find_all(style=True, limit=2000):
        label = f"[inline] {tag.name} {' '.join(tag.get('class') or [])}"
        decls.extend(inline_declarations(str(tag["style"]), label, Sheet(url=home.url, text="", inline=True)))
    variables = custom_properties(decls)
    votes, framework, framework_seen = Votes(), Votes(), Votes()
    for d in decls:
        factor = _sheet_factor(d.sheet)
        target = framework if factor < 1 else votes
        if d.name.startswith("--"):
            if DARK_SELECTOR.search(d.selector):
                continue
            got = colors_in(d.value, variables)
            if not got or _FRAMEWORK_VAR.match(d.name):
                continue
            if _BRAND_NAME.search(d.name) and not _DULL_NAME.search(d.name):
                target.add(got[0], 5.0 * factor, f"css variable {d.name}", brand=True)
            elif _SECOND_NAME.search(d.name) and not _DULL_NAME.search(d.name):
                target.add(got[0], 2.0 * factor, f"css variable {d.name}")
            else:
                target.add(got[0], 0.5 * factor, f"css variable {d.name}")
            continue
        if d.name not in _COLOR_PROPS:
            continue
        weight, brand = _decl_weight(d)
        seen = 1.0 if shown is None or shown.get(selector_to_match(d.selector), True) else UNSEEN_FACTOR
        for color in colors_in(d.value, variables):
            origin = f"css {d.selector[:40]} {{{d.name}}}"
            if color in FRAMEWORK_DEFAULTS or factor < 1:
                # A framework default, even bundled into the site's own CSS, is capped like a framework's.
                framework.add(color, weight * factor, origin)
                framework_seen.add(color, weight * factor * seen, origin)
            else:
                votes.add(color, weight * seen, origin, brand=brand and seen == 1.0)
    # A framework's palette is its default, not the brand: however often it repeats a colour, that
    # colour counts at most like one strong rule of the site's own CSS (less when the page shows it little).
    for color, weight in framework.weight.items():
        if color not in votes.weight:
            votes.framework.add(color)
        votes.add(
            color,
            min(weight, FRAMEWORK_CAP) * framework_seen.weight[color] / max(weight, 1e-9),
            framework.origin[color],
        )
    theme = home.meta("theme-color")
    parsed = parse_color(theme) if theme else None
    if parsed:
        votes.add(parsed[0], 8.0, "meta theme-color", brand=True)
    return votes


def choose(votes: Votes) -> BrandColors:
    """Cluster the votes and pick primary, secondary and a palette."""
    chromatic = {c: w for c, w in votes.weight.items() if not is_neutral(c)}
    clusters = _cluster(chromatic)
    # Only dark neutrals can be a monochrome brand's primary: white is the page, not the brand.
    neutral_brand = {c: w for c, w in votes.brand.items() if is_neutral(c) and lightness(c) < 0.5}
    best_neutral = max(neutral_brand.items(), key=lambda kv: kv[1], default=None)
    chromatic_brand = sum(w for c, w in votes.brand.items() if not is_neutral(c))
    if (
        best_neutral
        and best_neutral[1] >= 1.5 * chromatic_brand
        and (not clusters or votes.weight[best_neutral[0]] >= 2 * clusters[0][1])
    ):
        # A monochrome brand: its own signals are black/white and outweigh any colour it uses.
        rest = [rep for rep, _ in clusters[:4]]
        return BrandColors(best_neutral[0], rest[0] if rest else None, [best_neutral[0], *rest], "monochrome")
    if not clusters:
        tinted = _tinted(votes)
        return BrandColors(tinted, None, [tinted], "tinted neutral") if tinted else BrandColors(None, None, [], "none")
    primary = clusters[0][0]
    secondary = next((rep for rep, _ in clusters[1:] if delta_e(rep, primary) > SECONDARY_DE), None)
    palette = [rep for rep, _ in clusters[:6]]
    return BrandColors(primary, secondary, palette, votes.origin.get(primary, "css"))


def _tinted(votes: Votes) -> str | None:
    """For a brand in muted tones only (sage, taupe): the strongest colour that is not quite grey,
    white or black, brand signals first; None when everything is plain grey."""
    tinted = [c for c in votes.weight if chroma(c) >= TINT_CHROMA and 0.15 <= lightness(c) <= 0.97]
    return max(tinted, key=lambda c: (votes.brand.get(c, 0.0), votes.weight[c]), default=None)


def _cluster(weights: dict[str, float]) -> list[tuple[str, float]]:
    """Greedy clustering, heaviest colour first: (representative, total weight), heaviest first."""
    ordered = sorted(weights.items(), key=lambda kv: -kv[1])[:80]
    clusters: list[list[object]] = []
    for color, weight in ordered:
        for cluster in clusters:
            if delta_e(str(cluster[0]), color) <= CLUSTER_DE:
                cluster[1] = float(str(cluster[1])) + weight
                break
        else:
            clusters.append([color, weight])
    result = [(str(c[0]), float(str(c[1]))) for c in clusters]
    return sorted(result, key=lambda kv: -kv[1])


def brand_colors(site: Site) -> BrandColors:
    """Primary, secondary and palette of a site."""
    return choose(collect(site))
