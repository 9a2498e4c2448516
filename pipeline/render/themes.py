"""Site themes: which one a lead gets, and rendering a page and its CSS.

Templates live in `pipeline/themes/site/` (one `base.html`, one child per theme). Autoescape is on
for every template; links pass the `url` filter, which drops anything but http(s), `tel:`,
`mailto:`, fragments and the bundle's own files. The CSS is ours: it only ever receives `#rrggbb`
colours, and its hash goes into the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.models import BrandProfile
from pipeline.render import urls
from pipeline.render.palette import Roles


@dataclass(frozen=True)
class Theme:
    """A theme: its colour scheme, fonts, and the business categories it suits."""

    name: str
    scheme: str  # palette.derive scheme: light | warm | dark
    body_font: str
    heading_font: str
    keywords: tuple[str, ...]


_SANS = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
_SERIF = "Georgia,'Iowan Old Style','Palatino Linotype',Palatino,serif"

THEMES: dict[str, Theme] = {
    t.name: t
    for t in (
        Theme(
            "harbor",
            "light",
            _SANS,
            _SANS,
            (
                "dent", "zahn", "arzt", "praxis", "osteo", "physio", "clinic", "klinik", "médec", "medic",
                "medizin", "santé", "health", "therap", "doctor", "docteur", "law", "avocat", "anwalt",
                "notai", "account", "steuer", "insur", "versicher", "consult", "beratung", "optic",
                "pharma", "apothek", "vet", "cabinet", "kanzlei", "podolog", "studio", "salon", "beauty",
                "coiff", "friseur", "kiné",
            ),
        ),
        Theme(
            "hearth",
            "warm",
            _SANS,
            _SERIF,
            (
                "café", "cafe", "coffee", "kaffee", "caffè", "restaur", "bistro", "trattoria", "osteria",
                "pizzer", "agritur", "bakery", "bäcker", "backstube", "boulang", "pâtiss", "patisser",
                "konditor", "panett", "pastic", "pie", "cheese", "fromag", "käse", "formagg", "food",
                "deli", "épicer", "shop", "laden", "boutique", "negozio", "wine", "vin", "wein", "bar",
                "pub", "hotel", "gasthof", "gasthaus", "bnb", "b&b", "kitchen", "cuisine", "küche",
                "cucina", "florist", "fleur", "blumen", "tea", "thé", "brasserie", "creperie",
            ),
        ),
        Theme(
            "forge",
            "dark",
            _SANS,
            _SANS,
            (
                "plumb", "sanitär", "installat", "heizung", "idraul", "plomb", "electric", "elektr",
                "elettric", "électric", "joiner", "schreiner", "tischler", "carpent", "menuis",
                "falegn", "zimmerei", "build", "bau", "construct", "edil", "roof", "dach", "couvreur",
                "paint", "maler", "peintre", "garage", "auto", "mechanic", "werkstatt", "kfz",
                "locksmith", "schlüssel", "serrur", "hvac", "landscap", "garten", "jardin", "glaz",
                "glaser", "tiler", "fliesen", "handwerk", "repair", "reparat", "clean", "reinig",
            ),
        ),
    )
}  # fmt: skip
THEME_NAMES: tuple[str, ...] = tuple(THEMES)


def _fold(text: str) -> str:
    """Lower case without accents, so "Ostéopathe" finds "osteo" and "Bäckerei" finds "backer"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _matches(text: str, keywords: tuple[str, ...]) -> int:
    words = re.findall(r"[\w&]+", _fold(text))
    # Short keywords ("bar", "pie", "tea") match whole words only, so "team" is not a tea room.
    folded = [_fold(kw) for kw in keywords]
    return sum(1 for word in words for kw in folded if word == kw or (len(kw) > 3 and word.startswith(kw)))


def choose_theme(profile: BrandProfile, key: str) -> str:
    """The theme of a lead: by its category when the profile states or suggests one (category
    first, then name, tagline and services), else a stable pick from the lead key."""
    clues = [profile.category or "", profile.name, profile.tagline or "", " ".join(profile.services[:12])]
    for clue in clues:
        scores = {name: _matches(clue, theme.keywords) for name, theme in THEMES.items()}
        best = max(scores.values())
        if best > 0:
            return next(name for name, score in scores.items() if score == best)
    digest = hashlib.sha256(key.encode()).digest()
    return THEME_NAMES[digest[0] % len(THEME_NAMES)]


_OWN_FILE = re.compile(r"^(logo|favicon)-[0-9a-f]{10}\.(webp|png|svg)$")


def url_filter(value: object) -> str:
    """Jinja filter on every `href`/`src`: the value when allowed, else a harmless `#`."""
    text = str(value or "")
    return text if _OWN_FILE.match(text) or urls.is_allowed(text, set()) else "#"


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=PackageLoader("pipeline", "themes"),
        autoescape=autoescape,  # noqa: S701 - off only for our CSS templates, which get #rrggbb values
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


_HTML_ENV = _environment(autoescape=True)
_HTML_ENV.filters["url"] = url_filter
_CSS_ENV = _environment(autoescape=False)
_HEX = re.compile(r"^#[0-9a-f]{6}$")


def render_css(theme: Theme, roles: Roles) -> str:
    """The page's whole stylesheet (base + theme), minified; inlined, so it is all critical CSS."""
    colours = asdict(roles)
    if not all(_HEX.match(v) for v in colours.values()):
        raise ValueError("palette roles must be #rrggbb")
    ctx = {"r": roles, "body_font": theme.body_font, "heading_font": theme.heading_font}
    css = "\n".join(_CSS_ENV.get_template(f"site/css/{n}.css").render(ctx) for n in ("base", theme.name))
    css = re.sub(r"\s*\n\s*", "", css)
    if "</" in css or "<!--" in css:
        raise ValueError("stylesheet must not close the <style> element")
    return css


def csp_for(css: str) -> str:
    """A strict policy: no scripts, no plugins, no frames, no forms; only this page's stylesheet
    (by hash) and images from the site itself."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return (
        "default-src 'none'; "
        f"style-src 'sha256-{digest}'; "
        "img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'; script-src 'none'"
    )


def render_page(theme: Theme, context: dict[str, Any]) -> str:
    """The page's HTML from pre-cleaned context values (see `pipeline.render.site`)."""
    return _HTML_ENV.get_template(f"site/{theme.name}.html").render({**context, "theme": theme.name})
