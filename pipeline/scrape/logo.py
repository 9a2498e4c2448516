"""Logo candidates, best first: the image in the header/nav or a logo container, an inline SVG
there, a CSS background logo, then schema.org `logo`, `og:image`, apple-touch-icon and favicons.

Each candidate gets a score from what it is and where it sits; `<img>`s need a minimum score (a
photo in the content is not a logo), icons are always a last resort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from pipeline.scrape.css import declarations
from pipeline.scrape.names import BRAND_SELECTORS, norm
from pipeline.scrape.page import Page, Site, hidden, ld_types

MIN_IMG_SCORE = 5.0
MAX_IMAGES = 300  # a logo is among a page's first images; a hostile page may hold a million
_LOGO = re.compile(r"logo|brand|wordmark|signet", re.I)
_HEADERISH = re.compile(r"header|navbar|\bnav\b|masthead|topbar|site-title|branding", re.I)
NOT_LOGO_HINT = re.compile(
    r"facebook|instagram|twitter|linkedin|youtube|tiktok|whatsapp|pinterest|tripadvisor|google|placeholder|"
    r"spinner|loader|background|partner|sponsor|payment|icon-|"
    r"(?<![a-z])(?:sprite|flag|arrow|banner|hero|slide|slider|bg|yelp|bus|metro|tram|train|parking|photo|portrait)"
    r"(?![a-z])",
    re.I,
)
_PHOTO_FILE = re.compile(r"\.jpe?g(?:[?#]|$)", re.I)
_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.I)


@dataclass(frozen=True)
class Candidate:
    """A possible logo: absolute URL (or inline SVG markup), where it was found, and its score."""

    source: str
    score: float
    url: str | None = None
    svg: str | None = None


def _attr_text(tag: Tag) -> str:
    parts = [str(tag.get(a, "")) for a in ("src", "alt", "id", "title", "data-src")]
    parts.append(" ".join(tag.get("class") or []))
    return " ".join(parts)


def _ancestors(tag: Tag, depth: int = 4) -> list[Tag]:
    out: list[Tag] = []
    for parent in tag.parents:
        if not isinstance(parent, Tag) or parent.name in ("body", "html", "[document]"):
            break
        out.append(parent)
        if len(out) >= depth:
            break
    return out


def _place_score(tag: Tag, site: Site, name_key: str) -> tuple[float, str]:
    """Score from an element's own hints and where it sits; also the label of that place."""
    score, place = 0.0, "img"
    own = _attr_text(tag)
    if _LOGO.search(own):
        score, place = score + 5, "img[logo]"
    near = _ancestors(tag)
    if any(_LOGO.search(f"{p.get('id', '')} {' '.join(p.get('class') or [])}") for p in near):
        score, place = score + 4, "logo container"
    chain = list(tag.parents)
    if any(
        p.name in ("header", "nav") or _HEADERISH.search(f"{p.get('id', '')} {' '.join(p.get('class') or [])}")
        for p in chain
        if isinstance(p, Tag)
    ):
        score += 3
        place = "header " + place
    if any(isinstance(p, Tag) and p.name == "footer" for p in chain):
        score -= 1
    alt = norm(str(tag.get("alt", "")))
    if name_key and alt and (name_key in alt or alt in name_key):
        score += 3
    filename = norm(urlsplit(str(tag.get("src", ""))).path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    if name_key and filename and any(w in filename for w in name_key.split() if len(w) > 3):
        score += 2
    link = next((p for p in near if p.name == "a"), None)
    if link is not None:
        href = site.absolute(str(link.get("href", "")))
        if href and site.is_same_site(href) and urlsplit(href).path in ("", "/", "/index.html", "/index.php"):
            score += 2
        elif href and urlsplit(href).scheme in ("http", "https") and not site.is_same_site(href):
            score -= 4  # a badge linking to its owner's site: an association's, a partner's, a sponsor's
    if NOT_LOGO_HINT.search(own):
        score -= 4
    if place == "img" and _PHOTO_FILE.search(str(tag.get("src", ""))):
        score -= 2  # a JPEG in the content, however it is named or described, is a photo of the place
    size = [re.match(r"\d+", str(tag.get(dim, ""))) for dim in ("width", "height")]
    width, height = (int(v[0]) if v else None for v in size)
    if any(v is not None and v < 24 for v in (width, height)):
        score -= 6
    if width and height and height > width and height >= 200:
        score -= 4  # a tall picture (400 x 533): a portrait or a photo, seldom a logo
    return score, place


def candidates(site: Site, name: str) -> list[Candidate]:
    """Every logo candidate of the home page, best first."""
    page = site.home
    name_key = norm(name)
    found: list[Candidate] = []
    for index, img in enumerate(page.soup.find_all("img", limit=MAX_IMAGES)):
        src = str(img.get("src") or img.get("data-src") or "").strip()
        url = site.absolute(src, page.base)
        if url is None or hidden(img):
            continue
        score, place = _place_score(img, site, name_key)
        score += max(0.0, 1.0 - index * 0.1)  # the first images of a page are the header's
        if score >= MIN_IMG_SCORE:
            found.append(Candidate(place, score, url=url))
    for svg in page.soup.find_all("svg", limit=MAX_IMAGES):
        score, place = _place_score(svg, site, name_key)
        if score >= MIN_IMG_SCORE + 2 and len(str(svg)) < 200_000:
            found.append(Candidate("inline-svg", score - 1, svg=str(svg)))
    found.extend(_css_background_logos(site))
    declared = _declared_logos(page, site)
    if text_wordmark(page, name_key):  # the header spells the name in text: an icon is not its logo
        declared = [c for c in declared if c.source == "schema.org logo"]
    found.extend(declared)
    return sorted(found, key=lambda c: -c.score)


def text_wordmark(page: Page, name_key: str) -> bool:
    """Whether the page's brand element (`.navbar-brand`, `.logo`, the header's `<h1>`, ...) is text
    naming the business, with no image in it: a text wordmark."""
    words = {w for w in name_key.split() if len(w) > 2}
    for selector in BRAND_SELECTORS:
        for tag in page.soup.select(selector, limit=2):
            if tag.find(["img", "svg", "picture"]) is not None or hidden(tag):
                continue
            text = norm(tag.get_text(" "))
            if text and len(text.split()) <= 8 and words & set(text.split()):
                return True
    return False


def _css_background_logos(site: Site) -> list[Candidate]:
    """Images a stylesheet paints as a background where its selector says logo (`.logo a { background:
    url(x.png) }`), or where the image's own file name says so (`.jumbotron { background-image:
    url(bilder/logo.png) }`), unless the name says it is a backdrop ("logo-bg.jpg")."""
    found = []
    for sheet in site.sheets:
        for decl in declarations(sheet):
            if not decl.name.startswith("background"):
                continue
            match = _URL.search(decl.text)
            if not match or match[1].startswith("data:"):
                continue
            file_name = match[1].rsplit("/", 1)[-1]
            by_selector = bool(_LOGO.search(decl.selector))
            if not by_selector and not (_LOGO.search(file_name) and not NOT_LOGO_HINT.search(file_name)):
                continue
            url = site.absolute(urljoin(sheet.url, match[1]))
            if url:
                found.append(Candidate("css-background", 7.0 if by_selector else 6.0, url=url))
    return found


def _declared_logos(page: Page, site: Site) -> list[Candidate]:
    """schema.org logo, og:image, apple-touch-icon and favicons, in that order of trust."""
    found = []
    for item in page.json_ld():
        logo = item.get("logo")
        if isinstance(logo, dict):
            logo = logo.get("url") or logo.get("contentUrl")
        if isinstance(logo, str) and ld_types(item):
            url = site.absolute(logo, page.base)
            if url:
                found.append(Candidate("schema.org logo", 4.5, url=url))
    og = page.meta("og:image", "og:image:url")
    if og:
        url = site.absolute(og, page.base)
        if url:
            found.append(Candidate("og:image", 3.5 if _LOGO.search(og) else 2.0, url=url))
    for rel, score in (("apple-touch-icon", 1.5), ("apple-touch-icon-precomposed", 1.4), ("icon", 1.0)):
        for link in page.links(rel):
            url = site.absolute(str(link.get("href", "")), page.base)
            if url is None:
                continue
            size = max((int(n) for n in re.findall(r"(\d+)x\d+", str(link.get("sizes", "")))), default=0)
            bonus = 0.3 if url.lower().endswith(".svg") else min(size, 512) / 2048
            found.append(Candidate(rel if rel != "icon" else "favicon", score + bonus, url=url))
    return found
