"""The business name: candidates from every place a site states its name, each weighted by how
reliable that place is, and each candidate scored by how many places agree with it.

Places: `og:site_name`, schema.org JSON-LD and microdata of the business, `application-name`, the
header brand element and logo `alt`, segments of `<title>`, a short `<h1>`, the copyright line.

Every text is cleaned once here (`clean_name`): control, bidi, zero-width and ANSI characters, markup
and unrendered template syntax go, so build, QA's name check and the email all see the same name. A
long or hostile title or `og:site_name` is split on its separators and the name picked among the parts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import Tag
from bs4.element import NavigableString

from pipeline.scrape.lexicon import CATEGORY_WORDS, GENERIC, JOINING, MAKER_CREDIT, RIGHTS_RESERVED
from pipeline.scrape.page import Page, clean, ld_types

NON_BUSINESS_TYPES = {
    "webpage",
    "website",
    "breadcrumblist",
    "listitem",
    "person",
    "article",
    "blogposting",
    "product",
    "offer",
    "faqpage",
    "question",
    "answer",
    "imageobject",
    "postaladdress",
    "geocoordinates",
    "openinghoursspecification",
    "searchaction",
    "review",
    "aggregaterating",
    "menu",
    "service",
    "event",
}
_SEPARATORS = re.compile(r"\s+[|–—\-·:~•»/]+\s+|\s*[|–—·•»]\s*")
_LONG_SEPARATORS = re.compile(r"[,;!?()\[\]]\s*|\s+[-–—]\s*|\.\s+")  # also split texts too long for a name
MAX_NAME = 80
# ANSI escape sequences: CSI (colours, cursor), OSC (titles, hyperlinks) and two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
_ACTIVE_MARKUP = re.compile(r"<(script|style|template)\b.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[a-zA-Z!][^<>]{0,500}>|<!--.*?-->", re.S)
_TEMPLATE = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\$\{[^}]*\}|<%.*?%>|\[%.*?%\]|\{\$[^}]*\}|@\{[^}]*\}|"
    r"\{\{|\}\}|\{%|%\}|<\?php.*?(\?>|$)",
    re.S,
)


def _fold(key: str) -> str:
    return key.replace("ß", "ss")


def distinctive_words(name_key: str) -> list[str]:
    """The words of a normalised name that tell this business from others of its kind, in order:
    "schloßkulm ferienwohnungen" -> ["schloßkulm"], "restaurant el asfour" -> ["asfour"]."""
    return [w for w in name_key.split() if w not in CATEGORY_WORDS and w not in JOINING and not w.isdigit()]


def names_business(text_key: str, name_key: str) -> bool:
    """Whether a normalised text names the business: its whole name, the name without its category
    words, or one distinctive word of it (five letters or more) as a whole word."""
    text, name = f" {_fold(text_key)} ", _fold(name_key)
    if not name.strip():
        return False
    core = distinctive_words(name)
    if f" {name} " in text or (core and f" {' '.join(core)} " in text):
        return True
    return any(len(w) >= 5 and f" {w} " in text for w in core)


_LOGO_WORDS = re.compile(r"\b(logo|logotype|icon|image|home|startseite|accueil)\b", re.I)
# Where a site states its brand: its wordmark or logo element (also what logo.text_wordmark reads).
BRAND_SELECTORS = (
    ".navbar-brand",
    ".site-title",
    ".site-name",
    ".brand",
    ".logo",
    "#logo",
    "[class*=logo]",
    "[class*=brand]",
    "header h1",
    "header .title",
)
_HERO = re.compile(r"hero|banner|jumbotron|slider|carousel|cover|showcase", re.I)
_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:\d{4}\s*(?:[-–]\s*\d{4})?)?\s*,?\s*([^|·•\n]{3,80})", re.I)
_ABBREVIATION = re.compile(r"(?:^|\s)[A-Za-zÀ-ÿ]{1,4}$")  # "Dr", "med", "St", "Inc": a full stop after it goes on


def _holder(text: str) -> str:
    """The copyright holder: up to a full stop that ends a sentence, not one that ends an
    abbreviation ("Dr. med. Karin König. Alle Rechte vorbehalten" -> "Dr. med. Karin König")."""
    for stop in re.finditer(r"\.(?=\s|$)", text):
        if not _ABBREVIATION.search(text[: stop.start()]):
            text = text[: stop.start()]
            break
    return re.sub(r"[,\s]+(?:19|20)\d{2}$", "", text)  # "Karin König, 2026"


@dataclass(frozen=True)
class Clue:
    """A place that states a name: its text, source and weight."""

    text: str
    source: str
    weight: float


def clean_name(text: str) -> str:
    """A text fit to be a business name: NFC, without ANSI escapes, control, format (bidi,
    zero-width, soft hyphen, BOM), private-use or unassigned characters, markup or template syntax;
    whitespace collapsed. Idempotent: every stage after the scrape sees this same text."""
    text = _ANSI.sub("", unicodedata.normalize("NFC", text or ""))
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = _TEMPLATE.sub(" ", _TAG.sub(" ", _ACTIVE_MARKUP.sub(" ", text)))
    text = text.replace("<", " ").replace(">", " ")
    return clean(text)


def csv_name(company: str, website: str) -> str:
    """The CSV row's company as a profile name, cleaned like a scraped one; the site's host when
    nothing printable is left."""
    return clean_name(company) or (urlsplit(website).hostname or "").removeprefix("www.") or "?"


def norm(text: str) -> str:
    """Lower-case, accents and punctuation removed, spaces collapsed: for comparing names."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ").replace("'s ", "s ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def clues(page: Page) -> list[Clue]:
    """Every place on the page that states the business's name."""
    found: list[Clue] = []

    def add(text: str | None, source: str, weight: float) -> None:
        value = clean_name(text or "")
        if 2 <= len(value) <= MAX_NAME:
            found.append(Clue(value, source, weight))

    def add_parts(text: str | None, source: str, weight: float, *, whole: bool) -> None:
        """The parts of a text that holds a name among other words ("Name | Trade | City"); a
        part too long for a name is cut further on punctuation. `whole`: a text without
        separators counts as its own part."""
        parts = _SEPARATORS.split(clean_name(text or ""))
        for part in parts:
            if len(part) > MAX_NAME or len(part.split()) > 7:
                for piece in _LONG_SEPARATORS.split(part):
                    add(piece, source, weight * 0.7)
            elif whole or len(parts) > 1:
                add(part, source, weight)

    add(page.meta("og:site_name"), "og:site_name", 6)
    add_parts(page.meta("og:site_name"), "og:site_name segment", 4, whole=False)
    for item in page.json_ld():
        types = ld_types(item)
        name = item.get("name")
        if isinstance(name, str) and types and not types <= NON_BUSINESS_TYPES:
            add(name, "json-ld", 5)
        elif isinstance(name, str) and "website" in types:
            add(name, "json-ld website", 3)
    for scope in page.soup.find_all(itemtype=re.compile(r"Organization|Business|Restaurant|Store|Cafe|Dentist", re.I)):
        prop = scope.find(itemprop="name")
        if isinstance(prop, Tag):
            add(str(prop.get("content") or prop.get_text(" ")), "microdata", 5)
    add(page.meta("application-name", "apple-mobile-web-app-title"), "application-name", 4)
    for selector in BRAND_SELECTORS:
        for tag in page.soup.select(selector, limit=2):
            if selector.startswith("header ") and _in_hero_header(tag):
                continue  # <header class="hero"><h1>Experience Luxury</h1>: a headline, not the brand
            text = clean(tag.get_text(" "))
            if text and len(text.split()) <= 8:
                add(text, f"brand {selector}", 4)
                glued = clean(tag.get_text(""))  # "Casa Dra<span>h</span>a" is one word to the eye
                if glued != text:
                    add(glued, f"brand {selector}", 4)
            for img in tag.find_all("img", alt=True)[:1]:
                add(_LOGO_WORDS.sub("", str(img["alt"])), "logo alt", 3)
    title = clean_name(page.soup.title.get_text()) if page.soup.title else ""
    add(title, "title", 2)
    add_parts(title, "title segment", 3, whole=True)
    for text in _h1_texts(page):
        if len(text.split()) <= 6:
            add(text, "h1", 2)
    footer = page.soup.find("footer") or page.soup
    match = _COPYRIGHT.search(clean(footer.get_text(" ")))
    if match:
        add(
            MAKER_CREDIT.sub("", re.sub(RIGHTS_RESERVED, "", _holder(match[1]), flags=re.I)),
            "copyright",
            3,
        )
    return found


def _h1_texts(page: Page) -> list[str]:
    """The first two `<h1>`s' texts; two in a row with no text between them are one heading set on
    two lines ("Praxis für Physiotherapie" / "KERSTI ADAMSON") and count as one."""
    h1s = page.soup.find_all("h1", limit=2)
    texts = [clean(h1.get_text(" ")) for h1 in h1s]
    if len(h1s) != 2 or not all(texts) or len(" ".join(texts).split()) > 6:
        return texts
    first, second = h1s
    for steps, node in enumerate(first.next_elements):
        if node is second:
            return [f"{texts[0]} {texts[1]}"]
        if steps > 200 or (isinstance(node, NavigableString) and node.strip() and first not in node.parents):
            break  # words between the two: two headings
    return texts


def _in_hero_header(tag: Tag) -> bool:
    header = tag.find_parent("header")
    return isinstance(header, Tag) and bool(
        _HERO.search(f"{header.get('id', '')} {' '.join(header.get('class') or [])}")
    )


def _support(candidate: str, clue: str) -> float:
    """How far a clue agrees with a candidate: 1 equal, 0.7 when the clue starts with it (names
    lead: "Name - Trade"), 0.4 when it holds it elsewhere as whole words, else 0."""
    if candidate == clue:
        return 1.0
    if clue.startswith(candidate + " "):
        return 0.7
    if candidate and re.search(rf"(^| ){re.escape(candidate)}( |$)", clue):
        return 0.4
    return 0.0


def _tidy(text: str) -> str:
    """Drop decoration around a name (emoji, bullets, quotes) but keep its own punctuation."""
    return re.sub(r"^[^\w(]+|[^\w.)!]+$", "", text).strip()


def _display(variants: list[str]) -> str:
    """Of the spellings of one name, the one a person would write: not ALL CAPS when avoidable."""
    return sorted(variants, key=lambda v: (v.isupper(), v.islower(), len(v)))[0]


DECLARED = ("json-ld", "microdata")  # schema.org's name of the business itself


def _declared_name(found: list[Clue]) -> Clue | None:
    """The business's name as its schema.org data declares it, when another place on the page
    (title, header, og:site_name, logo, copyright) shares a distinctive word with it: a template's
    leftover JSON-LD names a business the page never mentions."""
    others = [set(_fold(norm(c.text)).split()) for c in found if c.source not in DECLARED]
    for clue in found:
        key = norm(clue.text)
        if clue.source not in DECLARED or not key or key in GENERIC or len(key.split()) > 7:
            continue
        core = {w for w in distinctive_words(_fold(key)) if len(w) >= 3}
        if core and any(core & other for other in others):
            return clue
    return None


def best_name(page: Page) -> tuple[str, str] | None:
    """(name, source): the name schema.org data declares when the page bears it out, else the one
    with the most agreement among the page's clues, or None."""
    found = clues(page)
    if not found:
        return None
    declared = _declared_name(found)
    if declared is not None:
        return _tidy(declared.text), declared.source
    best: tuple[float, str, str] | None = None
    normed = [(norm(c.text), c) for c in found]
    for key, clue in normed:
        if not key or len(key.split()) > 7 or key in GENERIC or not any(len(w) >= 3 for w in key.split()):
            continue  # "Dr", "AG": a title or a legal form alone names nobody
        if not distinctive_words(key):
            continue  # "Étude" (from the logo's alt "Logo étude"), "Restaurant": a kind of business, not one
        score = sum(other.weight * _support(key, other_key) for other_key, other in normed)
        score -= 0.3 * max(0, len(key.split()) - 3)  # long candidates are slogans more often than names
        if best is None or score > best[0] + 1e-9:
            best = (score, key, clue.source)
    if best is None:
        return None
    variants = [_tidy(c.text) for k, c in normed if k == best[1]]
    return _display(variants), best[2]
