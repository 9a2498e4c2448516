"""Where a number written without a label reads as the business's phone.

A labelled number ("Tel.", "Phone:") or a `tel:` link says what it is. An unlabelled one shaped like
a phone number ("+49 6093 996960", "06-25218121") is taken only where sites put their phone: beside
a phone icon (Font Awesome's fa-phone, Bootstrap Icons' bi-telephone, an `<img src=phone.png>`, a
Material "call" ligature) or in the contact block, the footer or the header's top bar. In running
text without either, a number is more often something else: a licence, an account, a count, a
number belonging to another business.
"""

from __future__ import annotations

import re

from bs4 import Tag

_ICON = re.compile(r"phone|telef|\btel\b|\bcall\b|mobile|smartphone|handy|whatsapp|☎|📞", re.I)
_REGION = re.compile(
    r"contact|kontakt|contatt|contacto|footer|phone|telef|address|adres|top-?bar|header-?top|top-?header", re.I
)
ICON_TAGS = ("i", "img", "svg", "span", "em", "use", "image")
MAX_LEVELS = 8  # ancestors looked at for a contact block or footer


def _hints(tag: Tag) -> str:
    return " ".join(
        str(v if isinstance(v, str) else " ".join(map(str, v)))
        for k in ("class", "id", "src", "alt", "aria-label", "title", "href", "xlink:href", "data-icon")
        if (v := tag.get(k))
    )


def phone_cue(parent: Tag) -> bool:
    """An unlabelled number in `parent` reads as a phone: a phone icon in the same element or right
    before it, or the element sits in a contact block, the footer or a header bar."""
    near = [*parent.find_all(ICON_TAGS, recursive=False, limit=6), *parent.find_all_previous(limit=4)]
    for tag in near:
        if (
            isinstance(tag, Tag)
            and tag.name in ICON_TAGS
            and (_ICON.search(_hints(tag)) or (tag.name in ("i", "span") and _ICON.fullmatch(tag.get_text(strip=True))))
        ):
            return True
    for level, node in enumerate([parent, *parent.parents]):
        if level > MAX_LEVELS or not isinstance(node, Tag) or node.name in ("body", "html"):
            break
        hint = f"{node.get('id', '')} {' '.join(node.get('class') or [])}"
        if node.name in ("footer", "address") or _REGION.search(hint):
            return True
    return False
