"""Site layouts and moods: which ones a lead gets, and rendering a page and its CSS.

A site is a *layout* (its structure: photo hero, split hero, card grid, long-form) in a *mood*
(colour scheme and type for a family of businesses: practices, food and shops, trades). Templates
live in `pipeline/themes/site/` (one `base.html`, one child per layout). Autoescape is on
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
    """A mood: colour scheme, fonts, and the business categories it suits (the category family)."""

    name: str
    scheme: str  # palette.derive scheme: light | warm | dark
    body_font: str
    heading_font: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """A page structure: the hero it draws and the order of its sections (the nav follows it)."""

    name: str
    sections: tuple[str, ...]
    needs_photo: bool = False
    description: str = ""


_SANS = "system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"
_SERIF = "Georgia,'Iowan Old Style','Palatino Linotype',Palatino,serif"

MOODS: dict[str, Theme] = {
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

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "photo",
            ("about", "services", "gallery", "testimonials", "contact"),
            needs_photo=True,
            description="full-width photo hero under a brand panel; story first, then services and photos",
        ),
        Layout(
            "split",
            ("services", "about", "testimonials", "gallery", "contact"),
            description="two-column hero (words beside a photo or the logo); services as a described list",
        ),
        Layout(
            "cards",
            ("services", "testimonials", "about", "gallery", "contact"),
            description="compact brand band with quick facts; services as a grid of filled cards",
        ),
        Layout(
            "longform",
            ("about", "services", "testimonials", "gallery", "contact"),
            description="typographic header, one reading column: the story, numbered services, hours",
        ),
    )
}
LAYOUT_NAMES: tuple[str, ...] = tuple(LAYOUTS)
THEME_NAMES = LAYOUT_NAMES  # a bundle's `theme` is its layout's name
MOOD_NAMES: tuple[str, ...] = tuple(MOODS)


def _fold(text: str) -> str:
    """Lower case without accents, so "Ostéopathe" finds "osteo" and "Bäckerei" finds "backer"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _matches(text: str, keywords: tuple[str, ...]) -> int:
    words = re.findall(r"[\w&]+", _fold(text))
    # Short keywords ("bar", "pie", "tea") match whole words only, so "team" is not a tea room.
    folded = [_fold(kw) for kw in keywords]
    return sum(1 for word in words for kw in folded if word == kw or (len(kw) > 3 and word.startswith(kw)))


def choose_mood(profile: BrandProfile, key: str) -> str:
    """The mood of a lead: by its category when the profile states or suggests one (category
    first, then name, tagline and services), else a stable pick from the lead key."""
    titles = [item.title for item in profile.service_items] + profile.services
    clues = [profile.category or "", profile.name, profile.tagline or "", " ".join(titles[:12])]
    for clue in clues:
        scores = {name: _matches(clue, mood.keywords) for name, mood in MOODS.items()}
        best = max(scores.values())
        if best > 0:
            return next(name for name, score in scores.items() if score == best)
    digest = hashlib.sha256(key.encode()).digest()
    return MOOD_NAMES[digest[0] % len(MOOD_NAMES)]


def choose_layout(profile: BrandProfile, mood: str, photos: int | None = None) -> str:
    """The layout of a lead, by its category family and the content it has: food and shops with
    photos get the photo hero (without photos but with opening hours, the card grid's quick facts);
    trades with several services the card grid; practices with a story to tell the long-form page;
    the rest the split hero. A layout never waits for content that is
    not there (no photo hero without a photo)."""
    n_photos = len(profile.photos) if photos is None else photos
    n_services = max(len(profile.service_items), len(profile.services))
    words = sum(len(p.split()) for p in profile.paragraphs)
    if mood == "hearth":  # opening hours matter to a café without photos: the quick-facts band
        return "photo" if n_photos else ("cards" if profile.hours else "longform" if words >= 80 else "split")
    if mood == "forge":
        return "cards" if n_services >= 3 else ("photo" if n_photos else "split")
    if n_services >= 7:
        return "cards"
    return "longform" if words >= 60 and n_services <= 6 and not n_photos else "split"


def layout_for(name: str, photos: int) -> Layout:
    """The layout `name`, or the split hero when it needs a photo and there is none."""
    layout = LAYOUTS[name]
    return LAYOUTS["split"] if layout.needs_photo and photos == 0 else layout


_OWN_FILE = re.compile(r"^(logo|favicon|photo-\d{2,4})-[0-9a-f]{10}\.(webp|png|svg)$")


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


def render_css(mood: Theme, layout: Layout, roles: Roles, plate: str = "#ffffff") -> str:
    """The page's whole stylesheet (base + layout + mood), minified; inlined, so it is all critical
    CSS. `plate` is the background put behind a logo that would not stand out on the header."""
    colours = [*asdict(roles).values(), plate]
    if not all(_HEX.match(v) for v in colours):
        raise ValueError("palette roles must be #rrggbb")
    ctx = {"r": roles, "plate": plate, "body_font": mood.body_font, "heading_font": mood.heading_font}
    parts = ("base", f"layout-{layout.name}", mood.name)
    css = "\n".join(_CSS_ENV.get_template(f"site/css/{n}.css").render(ctx) for n in parts)
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


def render_page(layout: Layout, mood: Theme, context: dict[str, Any]) -> str:
    """The page's HTML from pre-cleaned context values (see `pipeline.render.site`)."""
    values = {**context, "theme": layout.name, "mood": mood.name}
    return _HTML_ENV.get_template(f"site/{layout.name}.html").render(values)
