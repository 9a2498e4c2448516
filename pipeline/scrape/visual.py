"""The pure core of "the brand is what a visitor sees": boxes of a rendered page (computed styles
and positions, measured by `pipeline.scrape.render`) → colour votes and a ranking of logo boxes.

Colours are weighed by visual prominence on brand surfaces: the header and nav backgrounds, buttons
(filled or outlined), headings, links, large coloured bands, and the logo's own pixels; body text,
the page background and photos say nothing about the brand. Every surface's votes saturate, so a
hundred links in one colour do not outvote the header. The votes are clustered and chosen by the
same code as the static parser (`colors.choose`), monochrome brands included.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from pipeline.scrape.colors import CLUSTER_DE, BrandColors, Votes, choose
from pipeline.scrape.colorvalue import chroma, delta_e, is_neutral, lightness, parse_color
from pipeline.scrape.logo import NOT_LOGO_HINT, Candidate
from pipeline.scrape.names import norm
from pipeline.scrape.page import Site

_BUTTON = re.compile(r"(^|[\s_-])(btn|button|cta|book|reserve|order)([\s_-]|$)", re.I)
_LOGO = re.compile(r"logo|brand|wordmark|signet|site-title", re.I)
_ICON = re.compile(r"/icons?/|[-_]icon\b|\bicon[-_]|\bfa-|\bbi-", re.I)
# A social network named by an element's classes, icon, label or image ("fa-facebook", "bi-instagram",
# "icon-twitter", "/img/whatsapp.svg") or by where its link goes: that network's colours, not the brand's.
_SOCIAL = re.compile(
    r"facebook|\bfb\b|instagram|twitter|linkedin|youtube|youtu\.be|whatsapp|\bwa\.me\b|tiktok|pinterest|"
    r"tripadvisor|snapchat|telegram|\bt\.me/|vimeo|\bxing\b|threads\.net|//(www\.)?x\.com\b|fa-x-twitter|bi-twitter-x",
    re.I,
)
# The networks' own colours (logos, share buttons): on an element inside a social link or block.
NETWORK_COLORS = (
    "#3b5998",  # Facebook, classic
    "#1877f2",  # Facebook
    "#4267b2",
    "#1da1f2",  # Twitter
    "#1d9bf0",
    "#e1306c",  # Instagram
    "#c13584",
    "#833ab4",
    "#405de6",
    "#f77737",
    "#25d366",  # WhatsApp
    "#128c7e",
    "#ff0000",  # YouTube
    "#cd201f",
    "#0077b5",  # LinkedIn
    "#0a66c2",
    "#e60023",  # Pinterest
    "#bd081c",
    "#ff0050",  # TikTok
    "#00f2ea",
    "#00af87",  # Tripadvisor
    "#34e0a1",
    "#0088cc",  # Telegram
)
NETWORK_MAX_DE = 3.0  # the networks publish exact colours; sites copy them
_COLOR_FN = re.compile(r"(?:rgba?|hsla?|oklch|oklab|lab|lch|color)\([^()]*\)|#[0-9a-f]{3,8}\b", re.I)

# Weight a surface can give one colour at most, and the weight of one box of that surface.
SURFACES: dict[str, tuple[float, float]] = {
    "header": (9.0, 6.0),
    "button": (8.0, 3.0),
    "button-outline": (4.0, 1.5),
    "heading": (5.0, 1.5),
    "link": (4.0, 0.8),
    "nav-link": (3.0, 0.6),
    "band": (5.0, 3.0),
    "badge": (2.0, 0.4),
    "icon": (2.0, 0.5),
    "logo": (6.0, 6.0),
    "theme-color": (4.0, 4.0),
}
BRAND_SURFACES = frozenset({"header", "button", "logo", "theme-color"})
VIVID_CHROMA = 0.1  # OKLCH chroma from which a colour counts fully
PROMOTE_SCORE = 7.0  # a rendered logo box this sure of itself goes before the markup's candidates
CSS_SHARE = 8.0  # weight of the stylesheets' strongest colour next to the rendered surfaces
# Browsers' default link colours: an unstyled link says nothing about the brand.
UA_LINK_COLORS = frozenset({"#0000ee", "#551a8b", "#ee0000"})


@dataclass(frozen=True)
class Box:
    """One rendered element: what it is, where it sits (CSS px), and its computed colours."""

    tag: str
    hint: str = ""  # id, classes, alt, role: what the markup says it is
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    color: str = ""
    background: str = ""
    background_image: str = ""
    border_color: str = ""
    border_width: float = 0.0
    text: int = 0  # characters of its own text
    font_size: float = 16.0
    header: bool = False  # inside header/nav/banner
    footer: bool = False
    link: bool = False  # inside an <a>
    home_link: bool = False  # inside a link to the home page
    src: str = ""  # image URL as displayed (currentSrc, or a CSS background url)
    fill: str = ""
    around: str = ""  # its title, its link's href and its nearest ancestors' id, classes, labels


def names_network(box: Box) -> bool:
    """The element itself is a social network's: its classes, icon, label or image say which."""
    return bool(_SOCIAL.search(box.hint) or _SOCIAL.search(box.src))


def network_color(color: str) -> bool:
    """A social network's own colour (Facebook blue, WhatsApp green, ...)."""
    return any(delta_e(color, known) <= NETWORK_MAX_DE for known in NETWORK_COLORS)


@dataclass
class Seen:
    """What the renderer saw: the boxes, the viewport, logo pixel colours (colour, share)."""

    boxes: list[Box]
    width: float = 1280.0
    height: float = 800.0
    logo_colors: list[tuple[str, float]] = field(default_factory=list)
    theme_color: str | None = None
    requests: int = 0  # requests the page made, every one answered by the guarded fetcher
    refused: list[str] = field(default_factory=list)  # URLs the guard refused (blocked address, scheme)
    shown: dict[str, bool] = field(default_factory=dict)  # CSS selector → matches an element of the page


def _opaque(css: str, min_alpha: float = 0.5) -> str | None:
    parsed = parse_color(css) if css else None
    return parsed[0] if parsed and parsed[1] >= min_alpha else None


def _fold(box: Box, seen: Seen) -> float:
    """Things on the first screen count fully, further down less."""
    return 1.0 if box.y < seen.height else 0.5 if box.y < 2 * seen.height else 0.25


def surfaces(box: Box, seen: Seen) -> list[tuple[str, str, float]]:
    """(surface, colour, weight) for each brand surface this box paints. A social network's element
    paints none, whatever its link (a script may set that); inside a social link or block, the
    networks' own colours are not the brand's either."""
    if names_network(box):
        return []
    out = _painted(box, seen)
    if _SOCIAL.search(box.around):
        out = [s for s in out if not network_color(s[1])]
    return out


def _painted(box: Box, seen: Seen) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    fold = _fold(box, seen)
    background = _opaque(box.background) or _gradient_color(box.background_image)
    wide = box.w >= 0.5 * seen.width
    is_button = (
        box.tag == "button"
        or box.tag.endswith(("::before", "::after"))  # a link's pseudo-element drawn as a filled button
        or (box.tag in ("a", "input") and bool(_BUTTON.search(box.hint)))
    )
    if background:
        if box.header and wide and box.h >= 30 and box.y < seen.height:
            out.append(("header", background, 1.0))
        elif is_button and box.h <= 120:
            out.append(("button", background, fold))
        elif wide and box.h >= 40 and not box.footer:
            out.append(("band", background, fold * min(1.0, box.w * box.h / (seen.width * seen.height))))
        elif box.w * box.h >= 400 and not box.footer:
            out.append(("badge", background, fold))
    elif is_button and box.border_width >= 1:
        edge = _opaque(box.border_color)
        if edge:
            out.append(("button-outline", edge, fold))
    ink = _opaque(box.color)
    if ink and box.text and not (background and is_button):
        if box.tag in ("h1", "h2", "h3", "h4"):
            out.append(("heading", ink, fold * min(2.0, box.font_size / 24)))
        elif box.link and not box.footer and ink not in UA_LINK_COLORS:
            out.append(("nav-link" if box.header else "link", ink, fold))
    fill = _opaque(box.fill)
    if box.tag in ("svg", "i", "path") and fill and 8 <= box.w <= 120 and not box.footer:
        out.append(("icon", fill, fold))
    return out


def _gradient_color(image: str) -> str | None:
    """The first opaque colour of a CSS gradient (a band painted with one is that colour to the eye)."""
    if "gradient" not in image:
        return None
    for match in _COLOR_FN.findall(image):
        color = _opaque(match)
        if color:
            return color
    return None


def votes(seen: Seen, css: Votes | None = None, css_peak: float | None = None) -> Votes:
    """Colour votes from every surface, each surface's votes per colour saturating at its cap; a
    pale or greyish colour counts less than a vivid one (it is a background, not the brand's mark).
    `css`, the static parser's votes, joins scaled so that `css_peak` (default: its strongest
    colour's weight) weighs `CSS_SHARE`."""
    raw: dict[tuple[str, str], float] = {}
    for box in seen.boxes:
        for surface, color, units in surfaces(box, seen):
            raw[surface, color] = raw.get((surface, color), 0.0) + units
    for color, share in seen.logo_colors:
        raw["logo", color] = raw.get(("logo", color), 0.0) + share
    if seen.theme_color:
        raw["theme-color", seen.theme_color] = 1.0
    out = Votes()
    for (surface, color), units in sorted(raw.items(), key=lambda kv: -kv[1]):
        cap, unit = SURFACES[surface]
        weight = cap * (1.0 - math.exp(-units * unit / cap))
        if not is_neutral(color):
            weight *= min(1.0, chroma(color) / VIVID_CHROMA)
        out.add(color, weight, f"rendered {surface}", brand=surface in BRAND_SURFACES)
    if css is not None and css.weight:
        scale = CSS_SHARE / max(css_peak or 0.0, *css.weight.values())
        painted = [color for _, color in raw]
        for color, weight in css.weight.items():
            if color in css.framework and not any(delta_e(color, p) <= CLUSTER_DE for p in painted):
                continue  # a framework's default palette that no brand surface of the page shows
            # A monochrome brand shows itself (a black header, black buttons): a neutral the CSS
            # names "brand" but no visitor sees on a brand surface does not make one.
            brand = css.brand.get(color, 0.0) > 0 and not is_neutral(color)
            out.add(color, weight * scale, css.origin[color], brand=brand)
    return out


def brand_colors(seen: Seen, css: Votes | None = None, css_peak: float | None = None) -> BrandColors:
    """Primary, secondary and palette as a visitor sees them (with the stylesheets' votes, if given).
    A page that shows no colour at all on its brand surfaces is a monochrome brand: its darkest
    strong ink (headings, links, buttons) is the primary, not a framework's unused palette."""
    chosen = choose(votes(seen, css, css_peak))
    if chosen.primary is None:
        ink = _dark_ink(seen)
        if ink:
            return BrandColors(ink, None, [ink], "rendered monochrome")
    return chosen


def _dark_ink(seen: Seen) -> str | None:
    """The dark neutral painted most on the page's brand surfaces, if any."""
    weight: dict[str, float] = {}
    for box in seen.boxes:
        for _, color, units in surfaces(box, seen):
            if is_neutral(color) and lightness(color) < 0.5:
                weight[color] = weight.get(color, 0.0) + units
    return max(weight, key=lambda c: weight[c], default=None)


@dataclass(frozen=True)
class LogoBox:
    """A rendered image that may be the logo, and its score from position, size and hints."""

    src: str
    score: float
    inline_svg: bool


def logo_boxes(seen: Seen, name: str) -> list[LogoBox]:
    """Images, inline SVGs and CSS background images where a logo sits (the header, the top of the
    page, linking home), best first."""
    name_words = [w for w in norm(name).split() if len(w) > 3]
    found = []
    for box in seen.boxes:
        if box.tag not in ("img", "svg", "bg") or box.footer:
            continue
        if not (16 <= box.w <= 700 and 12 <= box.h <= 320) or box.y > 400 or box.y + box.h < 0:
            continue
        if box.tag == "bg" and box.text and not _LOGO.search(box.hint):
            continue  # a button or menu item with a picture behind its words
        hint = f"{box.hint} {box.src}".lower()
        score = 0.0
        score += 4.0 if box.header else 0.0
        score += 2.0 * (1.0 - min(box.y, 400) / 400)
        score += 1.0 * (1.0 - min(box.x, seen.width) / seen.width)
        score += 2.5 if box.home_link else 0.0
        score += 4.0 if _LOGO.search(hint) else 0.0
        score += 2.0 if name_words and any(w in norm(hint) for w in name_words) else 0.0
        score -= 5.0 if NOT_LOGO_HINT.search(hint) else 0.0
        score -= 3.0 if box.h < 20 or box.w * box.h > 160_000 else 0.0
        if max(box.w, box.h) <= 48 and not _LOGO.search(hint):
            score -= 3.0  # an icon (phone, cart, social) is small and square; a logo seldom is
        score -= 3.0 if _ICON.search(hint) else 0.0
        if score >= 4.0:
            found.append(LogoBox(box.src, score, box.tag == "svg"))
    return sorted(found, key=lambda b: -b.score)


def promote_logos(candidates: list[Candidate], ranked: list[LogoBox], site: Site) -> list[Candidate]:
    """The static candidates re-ranked by what the rendered page shows where a logo sits: the
    best rendered image goes first (added when the markup alone did not offer it, e.g. a `srcset`
    choice), an inline SVG there promotes the static inline-SVG candidates."""
    if not ranked or ranked[0].score < PROMOTE_SCORE:
        return candidates
    best = ranked[0]
    top = max((c.score for c in candidates), default=0.0)
    if best.inline_svg:
        return sorted(
            [replace(c, score=top + 1.0) if c.svg is not None else c for c in candidates], key=lambda c: -c.score
        )
    url = site.absolute(best.src)
    if url is None:
        return candidates
    promoted = [replace(c, score=top + 1.0) if c.url == url else c for c in candidates]
    if not any(c.url == url for c in candidates):
        promoted.append(Candidate("rendered header image", top + 1.0, url=url))
    return sorted(promoted, key=lambda c: -c.score)
