"""Testimonials the business quotes on its own site: JSON-LD `review` objects, else elements marked
as a testimonial or review (class or id) or `<blockquote>`s inside a section that is, each with the
author when the markup names one. Words are copied, never summarised or made up."""

from __future__ import annotations

import re
from typing import Any

from bs4 import Tag

from pipeline.models import Testimonial
from pipeline.scrape.copy import MAX_SCAN, _classes
from pipeline.scrape.page import Page, clean, hidden

_ITEM = re.compile(r"testimonial|review|temoignage|témoignage|recensione|bewertung|kundenstimme|quote|avis", re.I)
_SKIP_ITEM = re.compile(
    r"widget|rating|stars?\b|header|title|avatar|section|container|slider|carousel|grid|list|wrapper|row\b|summary",
    re.I,
)
_AUTHOR = re.compile(r"author|name|cite|reviewer|client|customer|person|identity", re.I)
_NAME = re.compile(r"author|name|reviewer", re.I)
_QUOTES = "\"'“”„«»‘’"
MAX_ITEMS = 3
MIN_WORDS, MAX_WORDS = 5, 90


def _text_ok(text: str) -> bool:
    return MIN_WORDS <= len(text.split()) <= MAX_WORDS and "©" not in text


def _from_json_ld(pages: list[Page]) -> list[Testimonial]:
    out: list[Testimonial] = []
    for page in pages:
        for item in page.json_ld():
            reviews: Any = item.get("review", [])
            for review in reviews if isinstance(reviews, list) else [reviews]:
                if not isinstance(review, dict):
                    continue
                body = clean(str(review.get("reviewBody", "")))
                author: Any = review.get("author", "")
                name = clean(str(author.get("name", "") if isinstance(author, dict) else author))
                if _text_ok(body):
                    out.append(Testimonial(quote=body.strip(_QUOTES + " "), author=name[:80]))
    return out


def _author(item: Tag, quote: str) -> str:
    """The reviewer's name: a `<cite>`/`<figcaption>`, else an element whose class says name or
    author, else one that says client, person or identity."""
    tags = item.find_all(["cite", "figcaption", "footer", "strong", "span", "div", "p", "h3", "h4", "h5"])
    for test in (
        lambda t: t.name in ("cite", "figcaption"),
        lambda t: _NAME.search(_classes(t)),
        lambda t: _AUTHOR.search(_classes(t)),
    ):
        for tag in tags:
            if not test(tag):
                continue
            name = clean(tag.get_text(" ")).lstrip("—–- ").strip()
            if 1 <= len(name.split()) <= 6 and name not in quote:
                return name
    return ""


def _in_chrome(tag: Tag) -> bool:
    return any(isinstance(p, Tag) and p.name in ("nav", "footer", "header") for p in tag.parents)


def _quote(item: Tag) -> str:
    block = item.find("blockquote") if item.name != "blockquote" else item
    root = block if isinstance(block, Tag) else item
    parts = []
    for p in root.find_all("p") or [root]:
        if _AUTHOR.search(_classes(p)) or hidden(p):
            continue
        text = clean(p.get_text(" "))
        if len(text.split()) >= 3:
            parts.append(text)
    return " ".join(parts).strip(_QUOTES + " ")


def _from_markup(page: Page) -> list[Testimonial]:
    items = [
        tag
        for tag in page.soup.find_all(["div", "article", "figure", "li", "blockquote"], limit=MAX_SCAN * 8)
        if (tag.name == "blockquote" or _ITEM.search(_classes(tag))) and not _SKIP_ITEM.search(_classes(tag))
    ]
    out: list[Testimonial] = []
    marked = {id(tag) for tag in items}
    for item in items[:MAX_SCAN]:
        if _in_chrome(item) or hidden(item) or any(id(p) in marked for p in item.parents):
            continue  # a part of a testimonial (its text, its author) is read with the whole
        if item.name == "blockquote" and not any(_ITEM.search(_classes(p)) for p in item.parents if isinstance(p, Tag)):
            continue  # a blockquote counts only inside a testimonials or reviews section
        quote = _quote(item)
        if _text_ok(quote) and quote not in (t.quote for t in out):
            out.append(Testimonial(quote=quote, author=_author(item, quote)[:80]))
    return out


def testimonials(pages: list[Page]) -> list[Testimonial]:
    """Up to three testimonials: structured reviews first, then the home page's markup."""
    found = _from_json_ld(pages) or (_from_markup(pages[0]) if pages else [])
    return found[:MAX_ITEMS]
