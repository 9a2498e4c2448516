"""Words for the demo site: a few paragraphs, a services list, and the content's language (from the
words themselves: a template's `lang` attribute is often wrong). The tagline is in `tagline`."""

from __future__ import annotations

import re
from collections import Counter

from bs4 import Tag

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
    "da": _words("og af til på med er det som har vi ikke jeg kan hos eller jer mig hvad meget også"),
    "no": _words("og av til på med er det som har vi ikke jeg kan hos eller dere meg hva mye også"),
    "sv": _words("och att är det som för av till på med har vi inte jag kan hos eller också mycket"),
    "fi": _words("ja on ei se että tai kun myös ovat sekä ole voi olla mukaan meillä sinun"),
    "pl": _words("i w na z się nie do to że jest o jak po dla od są przez oraz"),
    "cs": _words("a v se na je že s z do to jsou pro by o k jako ve také nebo"),
    "hu": _words("a az és hogy nem is egy van meg de ha csak már vagy mint szolgáltatás"),
    "tr": _words("ve bir bu için ile olarak çok daha gibi ne var olan en her"),
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
MAX_SCAN = 500  # elements examined per kind: a hostile page can hold hundreds of thousands
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _classes(tag: Tag) -> str:
    return f"{tag.get('id', '')} {' '.join(tag.get('class') or [])}"


def _in_chrome(tag: Tag) -> bool:
    for node in [tag, *tag.parents]:
        if not isinstance(node, Tag) or node.name in ("body", "html"):
            break  # a class on <body> ("nav-fixed") is a layout flag, not page chrome
        if node.name in ("nav", "footer") or any(_CHROME.match(token) for token in _classes(node).split()):
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
