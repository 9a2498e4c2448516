"""Services with their descriptions: inside a section about services (its class, id or heading
says so), each short heading (h3/h4, or a bold lead-in) with the paragraph that follows it.
At least two such pairs, or nothing (the bare titles of `copy.services` remain)."""

from __future__ import annotations

import re

from bs4 import Tag

from pipeline.models import ServiceItem
from pipeline.scrape.copy import MAX_SCAN, _classes, _in_chrome
from pipeline.scrape.page import Page, clean, hidden

_SERVICES = re.compile(
    r"service|leistung|prestation|servizi|angebot|what-we-do|offer|speciali|treatment|behandlung|soins|"
    r"expertise|competen|kompetenz|cosa-facciamo|our-work|unsere-arbeit",
    re.I,
)
MAX_ITEMS = 8
MAX_DESCRIPTION_WORDS = 60


def _description(heading: Tag) -> str:
    """The first paragraph after the heading inside its own card (or right after it)."""
    node = heading.find_next_sibling(["p", "div"])
    if node is None and isinstance(heading.parent, Tag):
        node = heading.parent.find("p")
    if not isinstance(node, Tag) or node.find(["h2", "h3", "h4"]) or hidden(node):
        return ""
    text = clean(node.get_text(" "))
    words = text.split()
    if len(words) < 4:
        return ""
    return text if len(words) <= MAX_DESCRIPTION_WORDS else " ".join(words[:MAX_DESCRIPTION_WORDS]) + "…"


def _containers(page: Page) -> list[Tag]:
    found: list[Tag] = [
        tag
        for tag in page.soup.find_all(["section", "div", "ul"], limit=MAX_SCAN * 4)
        if _SERVICES.search(_classes(tag))
    ][:MAX_SCAN]
    for heading in page.soup.find_all(["h1", "h2", "h3"], limit=MAX_SCAN):
        if isinstance(heading.parent, Tag) and _SERVICES.search(heading.get_text(" ")[:200]):
            found.append(heading.parent)
    return found


def described_services(page: Page) -> list[ServiceItem]:
    """(title, description) pairs of the first services section that has at least two of them."""
    for section in _containers(page)[:MAX_SCAN]:
        if _in_chrome(section) or hidden(section):
            continue
        items: list[ServiceItem] = []
        for heading in section.find_all(["h3", "h4"], limit=MAX_SCAN):
            title = clean(heading.get_text(" "))
            if not 1 <= len(title.split()) <= 8 or title in (i.title for i in items):
                continue
            description = _description(heading)
            if description:
                items.append(ServiceItem(title=title, description=description))
        if len(items) >= 2:
            return items[:MAX_ITEMS]
    return []
