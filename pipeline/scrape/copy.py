"""Words for the demo site: tagline, a few paragraphs, a services list, and the content's language
(from the words themselves: a template's `lang` attribute is often wrong)."""

from __future__ import annotations

import re
from collections import Counter

from bs4 import Tag

from pipeline.scrape.names import GENERIC, norm
from pipeline.scrape.page import Page, clean, hidden


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words("the and of to in for is you your with our we are on at this from"),
    "de": _words("der die das und ist wir sie mit für ihr ihre den von zu auf ein eine nicht bei"),
    "fr": _words("le la les et des est vous nous pour une dans du au avec sur votre ce qui"),
    "it": _words("il di che e la per un una sono con del della nel alla gli le ci si"),
    "es": _words("el la los las y de que en un una por con para su es del al"),
    "nl": _words("de het een en van is dat op te voor met zijn wij u niet"),
    "pt": _words("o a os as e de que em um uma para com por do da no na"),
}
# A class or id naming page chrome: "navbar", "footer-widgets", but not "page-navbar" (a layout flag).
_CHROME = re.compile(
    r"^(nav|navbar|navigation|menu|main-menu|footer|site-footer|cookie|consent|breadcrumbs?|sidebar|modal|popup|"
    r"preloader|skip)([-_].*)?$",
    re.I,
)
_SERVICES = re.compile(
    r"service|leistung|prestation|servizi|angebot|what-we-do|offer|speciali|treatment|behandlung|soins|menu", re.I
)
_HERO = re.compile(r"hero|banner|masthead|jumbotron|intro|slogan|tagline|lead|subtitle|cover|showcase|welcome", re.I)
_SLOGAN = re.compile(r"tagline|slogan|claim|motto|strapline", re.I)
_TITLE_SPLIT = re.compile(r"\s+[|–—~·•]\s+|\s+-\s+")
MAX_SCAN = 500  # elements examined per kind: a hostile page can hold hundreds of thousands
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _classes(tag: Tag) -> str:
    return f"{tag.get('id', '')} {' '.join(tag.get('class') or [])}"


def _in_chrome(tag: Tag) -> bool:
    for node in [tag, *tag.parents]:
        if isinstance(node, Tag) and (
            node.name in ("nav", "footer") or any(_CHROME.match(token) for token in _classes(node).split())
        ):
            return True
    return False


def language(page: Page) -> tuple[str | None, str]:
    """(ISO 639-1 code, source): stopword counts of the visible text, else the `lang` attribute."""
    words = Counter(w.lower() for text, _ in page.visible_text_nodes() for w in _WORD.findall(text))
    scores = {lang: sum(words[w] for w in stop) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] >= 8 and ranked[0] >= 1.5 * ranked[1]:
        return best, "text"
    attr = page.soup.html.get("lang") if page.soup.html else None
    if attr:
        return str(attr).split("-")[0].lower()[:2], "lang attribute"
    return (best, "text") if ranked[0] else (None, "none")


def _slogan_text(tag: Tag, name_key: str, max_words: int = 16) -> str | None:
    """The tag's text when it reads like a slogan: 2+ words, short, not the name, not generic."""
    if hidden(tag):
        return None
    text = clean(tag.get_text(" "))
    key = norm(text)
    if not (2 <= len(text.split()) <= max_words) or key == name_key or key in GENERIC or "©" in text:
        return None
    if not re.search(r"[^\W\d_]{3,}", text):  # "S R", "1 2 3": initials and numbers are not a slogan
        return None
    return text.rstrip(" .") if not text.endswith("!") else text


def tagline(page: Page, name: str) -> tuple[str | None, str]:
    """The slogan, from the first of: an element marked as one (`.tagline`, `.slogan`, ...); the
    line right after the name in the header; a two-part `<title>` "Name | Slogan"; the first `<h1>`
    that is more than the name; a short lead line in the hero."""
    name_key = norm(name)
    soup = page.soup
    for tag in soup.find_all(class_=_SLOGAN):
        text = _slogan_text(tag, name_key)
        if text:
            return text, "slogan element"
    for tag in soup.find_all(["h1", "h2", "a", "span", "div", "p"]):
        if tag.string is None or norm(str(tag.string)) != name_key:  # .string: no walk of big subtrees
            continue
        # The name's own element, or its wrapper when that holds nothing else (<a><h1>Name</h1></a>).
        nodes = [tag] + (
            [tag.parent] if isinstance(tag.parent, Tag) and norm(tag.parent.get_text(" ")) == name_key else []
        )
        for node in nodes:
            sibling = node.find_next_sibling(["h2", "h3", "h4", "p", "span", "div", "section"])
            linked = isinstance(sibling, Tag) and sibling.find("a") is not None  # links are not a slogan
            text = _slogan_text(sibling, name_key, 12) if isinstance(sibling, Tag) and not linked else None
            if text:
                return text, "under the name"
        break
    title = clean(soup.title.get_text()) if soup.title else ""
    parts = [p for p in _TITLE_SPLIT.split(title) if p.strip()]
    if len(parts) == 2:
        keys = [norm(p) for p in parts]
        for k, other in ((0, 1), (1, 0)):
            if keys[k] and (keys[k] in name_key or name_key in keys[k]):
                text = parts[other].strip()
                if 2 <= len(text.split()) <= 12 and norm(text) not in GENERIC:
                    return text, "title"
    for tag in soup.find_all(["h1", "p"]):
        if not isinstance(tag, Tag) or _in_chrome(tag):
            continue
        in_hero = any(isinstance(p, Tag) and _HERO.search(_classes(p)) for p in [tag, *tag.parents])
        if tag.name == "h1" or in_hero:
            text = _slogan_text(tag, name_key)
            if text:
                return text, "h1" if tag.name == "h1" else "hero"
    return None, "none"


def paragraphs(pages: list[Page], limit: int = 4) -> list[str]:
    """Up to `limit` real paragraphs (12+ words) of body copy, home page first, no duplicates."""
    found: list[str] = []
    for page in pages:
        for p in page.soup.find_all("p"):
            if hidden(p) or _in_chrome(p):
                continue
            text = clean(p.get_text(" "))
            if len(text.split()) >= 12 and text not in found and "©" not in text:
                found.append(text)
            if len(found) >= limit:
                return found
    return found


def services(page: Page, limit: int = 8) -> list[str]:
    """Short headings or list items inside a section about services: a container whose class or
    id says so, or the container of a heading that does."""
    containers: list[Tag] = [
        tag for tag in page.soup.find_all(["section", "div", "ul"]) if _SERVICES.search(_classes(tag))
    ][:MAX_SCAN]
    for heading in page.soup.find_all(["h1", "h2", "h3"], limit=MAX_SCAN):
        if isinstance(heading.parent, Tag) and _SERVICES.search(heading.get_text(" ")[:200]):
            containers.append(heading.parent)
    found: list[str] = []
    for section in containers[:MAX_SCAN]:
        if _in_chrome(section) or hidden(section):
            continue
        for item in section.find_all(["h3", "h4", "li"], limit=MAX_SCAN):
            text = clean(item.get_text(" "))
            if 1 <= len(text.split()) <= 6 and text not in found and not item.find("a", href=re.compile("^#|^/$")):
                found.append(text)
        if len(found) >= 2:
            return found[:limit]
        found.clear()
    return found
