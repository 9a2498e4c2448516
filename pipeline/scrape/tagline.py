"""The slogan (or hero headline) a visitor reads at the top of the home page.

Places, most trusted first: an element marked as one (`.tagline`, `.slogan`, ...); the hero
headline, i.e. the first `<h1>` that says more than the name (a short one, "Experience Luxury",
hands over to the line under it when it sits in a hero); a two-part `<title>` "Name | Slogan"; the
line right after the name in the header; the page's first `<h2>` when it reads like a sentence; a
"Welcome to <name>" heading, the name also told by a distinctive part of it ("Willkommen in
Schloßkulm" for Schloßkulm Ferienwohnungen); the hero's first line when it is short.

A headline of fewer than four words is a section title ("Über uns", "Our Products", "Unser
Biergarten"), not a slogan, unless the markup calls it one or it stands right under the name.
Text hidden from visitors (`aria-hidden` twins, `hidden`, inline `display:none`) and a second
language's twin (`lang`/`data-lang` other than the page's) are left out.
"""

from __future__ import annotations

import re

from bs4 import Tag
from bs4.element import NavigableString, PageElement

from pipeline.scrape.contact import TOWN
from pipeline.scrape.copy import _classes, _in_chrome
from pipeline.scrape.lexicon import GENERIC
from pipeline.scrape.names import names_business, norm
from pipeline.scrape.page import Page, clean, hidden

_HERO = re.compile(r"hero|banner|masthead|jumbotron|intro|slogan|tagline|lead|subtitle|cover|showcase|welcome", re.I)
_SLOGAN = re.compile(r"tagline|slogan|claim|motto|strapline", re.I)
_TITLE_SPLIT = re.compile(r"\s+[|–—~·•]\s+|\s+-\s+")
_WELCOME = re.compile(r"^(welcome|willkommen|herzlich willkommen|bienvenue|bienvenido|benvenut|welkom|witamy)\b", re.I)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CONTACT = re.compile(r"@\w|https?://|www\.|\d[\d\s()./-]{6,}\d")
_LETTER = re.compile(r"[^\W\d_]")
MIN_HEADLINE_WORDS = 4
MAX_LEAD_WORDS = 12
MAX_HEADINGS = 200  # headings examined: a hostile page can hold hundreds of thousands


def words(text: str) -> int:
    """Words of a text; CJK scripts write without spaces, so two of their characters count as one."""
    return max(len(text.split()), len(_CJK.findall(text)) // 2)


def shown_text(tag: Tag, lang: str | None) -> str:
    """The text a visitor reads in `tag`: hidden descendants and other-language twins left out."""
    parts: list[str] = []
    stack: list[PageElement] = [tag]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node is not tag and (hidden_self(node) or _other_language(node, lang)):
                continue
            if node.name in ("script", "style", "template", "noscript"):
                continue
            if node.name == "br":
                parts.append(" ")
            stack.extend(reversed(list(node.children)))
        elif isinstance(node, NavigableString):
            parts.append(str(node))
    return clean(" ".join(parts))


def hidden_self(node: Tag) -> bool:
    """`node` itself is hidden by an attribute or inline style (not looking at its ancestors)."""
    if node.has_attr("hidden") or str(node.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(node.get("style", "")).replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _other_language(node: Tag, lang: str | None) -> bool:
    value = str(node.get("data-lang") or node.get("lang") or "").lower()[:2]
    return bool(lang and value and value != lang)


def _slogan_text(text: str, name_key: str, *, min_words: int = 2, max_words: int = 16) -> str | None:
    """`text` when it reads like a slogan: long enough, short, not the name, not generic."""
    key = norm(text)
    n = words(text)
    if not (min_words <= n and len(text.split()) <= max_words) or key == name_key or key in GENERIC or "©" in text:
        return None
    if not re.search(r"[^\W\d_]{3,}", text) and not _CJK.search(text):  # "S R", "1 2 3": not a slogan
        return None
    lettered = sum(1 for w in text.split() if _LETTER.search(w))
    if _CONTACT.search(text) or TOWN.search(text) or text.endswith(":") or (not _CJK.search(text) and lettered < 2):
        return None  # "Contact: 508 533 5536 info@...", "Hauptstr. 1, 42857 Remscheid", "Projekt 1": not slogans
    return text.rstrip(" .") if not text.endswith("!") else text


def _page_lang(page: Page) -> str | None:
    attr = page.soup.html.get("lang") if page.soup.html else None
    return str(attr).lower()[:2] if attr else None


def _is_name(key: str, name_key: str, title_key: str) -> bool:
    """A heading that only states the name (or part of it, "KERSTI ADAMSON")."""
    if not key:
        return True
    return key == name_key or (len(key) >= 4 and (key in name_key or (key in title_key and words(key) <= 3)))


def _in_hero(tag: Tag) -> bool:
    return any(
        isinstance(p, Tag) and p.name not in ("body", "html") and _HERO.search(_classes(p)) for p in [tag, *tag.parents]
    )


def _headings(page: Page, names: tuple[str, ...]) -> list[Tag]:
    return [
        t
        for t in page.soup.find_all(names, limit=MAX_HEADINGS)
        if isinstance(t, Tag) and not _in_chrome(t) and not hidden(t)
    ]


def _under(tag: Tag, lang: str | None, name_key: str) -> str | None:
    """The slogan in the line right after `tag` (a paragraph or sub-heading, no links)."""
    sibling = tag.find_next_sibling(["p", "h2", "h3"])
    if not isinstance(sibling, Tag) or sibling.find("a") is not None or hidden(sibling):
        return None
    return _slogan_text(shown_text(sibling, lang), name_key, min_words=MIN_HEADLINE_WORDS)


def hero_headline(page: Page, name_key: str, title_key: str, lang: str | None) -> tuple[str, str] | None:
    """The first `<h1>` that says more than the name; a short one in a hero: the line under it."""
    for h1 in _headings(page, ("h1",)):
        text = shown_text(h1, lang)
        if _is_name(norm(text), name_key, title_key):
            under = _under(h1, lang, name_key)
            if under:  # <h1>About To Shine Cleaning</h1><p>Proudly Family-Owned & Operated</p>
                return under, "under the name"
            continue
        found = _slogan_text(text, name_key, min_words=MIN_HEADLINE_WORDS)
        if found and norm(text).startswith(name_key + " "):
            # "Gästehaus Rader – Ferienwohnungen in Weißbriach": the name and what it is, for search
            # engines; the line under such a headline is the slogan a visitor reads
            under = _under(h1, lang, name_key)
            if under:
                return under, "under the headline"
        if found:
            return found, "h1"
        if _in_hero(h1):
            under = _under(h1, lang, name_key)
            if under:
                return under, "under the headline"
        return None
    return None


def _title_slogan(page: Page, name_key: str) -> str | None:
    title = clean(page.soup.title.get_text()) if page.soup.title else ""
    parts = [p for p in _TITLE_SPLIT.split(title) if p.strip()]
    if len(parts) != 2:
        return None
    keys = [norm(p) for p in parts]
    for k, other in ((0, 1), (1, 0)):
        if keys[k] and (keys[k] in name_key or name_key in keys[k]):
            text = parts[other].strip()
            if 2 <= len(text.split()) <= 12 and norm(text) not in GENERIC:
                return text
    return None


def _under_the_name(page: Page, name_key: str, title_key: str, lang: str | None) -> str | None:
    for tag in page.soup.find_all(["h1", "h2", "a", "span", "div", "p"], limit=5000):
        if tag.string is None or norm(str(tag.string)) != name_key:  # .string: no walk of big subtrees
            continue
        # The name's own element, or its wrapper when that holds nothing else (<a><h1>Name</h1></a>).
        nodes = [tag] + (
            [tag.parent] if isinstance(tag.parent, Tag) and norm(tag.parent.get_text(" ")) == name_key else []
        )
        for node in nodes:
            sibling = node.find_next_sibling(["h2", "h3", "h4", "p", "span", "div", "section"])
            if not isinstance(sibling, Tag) or sibling.find("a") is not None or hidden(sibling):
                continue  # links are not a slogan
            text = _slogan_text(shown_text(sibling, lang), name_key, max_words=12)
            if text and not (norm(text) in title_key and words(text) <= 3):  # another spelling of the name
                return text
        return None
    return None


def _link_targets(page: Page) -> set[str]:
    """The ids the page's own links jump to (`href="#gauliga25"`)."""
    return {str(a["href"])[1:] for a in page.soup.find_all("a", href=re.compile(r"^#."), limit=MAX_HEADINGS)}


def tagline(page: Page, name: str) -> tuple[str | None, str]:
    """(slogan, where it came from), or (None, "none")."""
    name_key = norm(name)
    title_key = norm(page.soup.title.get_text()) if page.soup.title else ""
    lang = _page_lang(page)
    for tag in page.soup.find_all(class_=_SLOGAN, limit=MAX_HEADINGS):
        if isinstance(tag, Tag) and not hidden(tag) and tag.name not in ("body", "html"):
            text = _slogan_text(shown_text(tag, lang), name_key)
            if text:
                return text, "slogan element"
    headline = hero_headline(page, name_key, title_key, lang)
    if headline:
        return headline
    text = _title_slogan(page, name_key)
    if text:
        return text, "title"
    text = _under_the_name(page, name_key, title_key, lang)
    if text:
        return text, "under the name"
    targets = _link_targets(page)
    for h2 in _headings(page, ("h2",)):
        text = shown_text(h2, lang)
        if h2.get("id") and str(h2["id"]) in targets:
            break  # a heading the page's own links jump to: an article's or a section's title
        if not _is_name(norm(text), name_key, title_key):
            found = _slogan_text(text, name_key, min_words=MIN_HEADLINE_WORDS)
            if found and not _WELCOME.match(found):
                return found, "first h2"
            break
    for heading in _headings(page, ("h1", "h2", "h3", "h4")):
        text = shown_text(heading, lang)
        if _WELCOME.match(text) and names_business(norm(text), name_key):
            # "Willkommen in Schloßkulm": naming the business, it is no section title however short
            found = _slogan_text(text, "", min_words=3)
            if found:
                return found, "welcome heading"
    for tag in page.soup.find_all("p", limit=MAX_HEADINGS):
        if isinstance(tag, Tag) and not _in_chrome(tag) and not hidden(tag) and _in_hero(tag):
            # The last resort, so the hero's first line only, and a short one: a paragraph of 13+
            # words is the intro's body copy, and the lines after it are captions and call-outs.
            shown = shown_text(tag, lang)
            if shown:
                text = _slogan_text(shown, name_key, max_words=MAX_LEAD_WORDS)
                return (text, "hero") if text else (None, "none")
    return None, "none"
