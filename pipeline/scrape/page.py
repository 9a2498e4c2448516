"""Parsed pages and the site they belong to: what the extractors read.

A `Site` knows the origin that was actually fetched and the other hosts the pages name as their own
(`<link rel=canonical>`, `og:url`): an absolute URL on one of those hosts is mapped to the fetched
origin, so a site served from a staging host, or from loopback in tests, is read as itself.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Comment, Tag, XMLParsedAsHTMLWarning

MAX_DEPTH = 200
INVISIBLE = ("script", "style", "noscript", "template", "svg", "head", "iframe", "select", "option")
_SPACE = re.compile(r"\s+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none\s*(!important)?\s*;?", re.I)
_NO_SPACE_BEFORE = re.compile(r"\s+([,.](?:\s|$))")
# Soft hyphen, zero-width space, word joiner, BOM: line-breaking hints a reader never sees mid-line
# ("Zahn&shy;medizin" reads "Zahnmedizin").
_INVISIBLE_BREAKS = str.maketrans("", "", "\u00ad\u200b\u2060\ufeff")


def clean(text: str) -> str:
    """Collapse whitespace (including non-breaking spaces) and strip; no space before , or .
    (left by joining inline elements' text); soft hyphens and zero-width spaces dropped."""
    text = text.translate(_INVISIBLE_BREAKS).replace("\xa0", " ")
    return _NO_SPACE_BEFORE.sub(r"\1", _SPACE.sub(" ", text)).strip()


@dataclass
class Page:
    """One fetched HTML page, parsed with lxml; comments are dropped so nothing commented out counts."""

    url: str
    soup: BeautifulSoup

    @cached_property
    def base(self) -> str:
        """The URL relative links resolve against (`<base href>` when the page sets one)."""
        tag = self.soup.find("base", href=True)
        return urljoin(self.url, str(tag["href"])) if isinstance(tag, Tag) else self.url

    @classmethod
    def parse(cls, url: str, content: bytes, charset: str | None = None) -> Page:
        """Parse bytes; without a charset BeautifulSoup sniffs `<meta charset>` and the bytes."""
        with warnings.catch_warnings():  # an XHTML page's <?xml?> prolog: parsed as the HTML browsers see
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(content, "lxml", from_encoding=charset)
        for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
            comment.extract()
        _flatten_below(soup, MAX_DEPTH)
        _reveal_scripted_content(soup)
        return cls(url=url, soup=soup)

    @cached_property
    def metas(self) -> dict[str, str]:
        """Every `<meta name|property|itemprop=key content>`, key lower-cased, first one wins."""
        found: dict[str, str] = {}
        for tag in self.soup.find_all("meta", content=True, limit=2000):
            content = clean(str(tag.get("content", "")))
            for attr in ("property", "name", "itemprop"):
                key = str(tag.get(attr, "")).strip().lower()
                if key and content and key not in found:
                    found[key] = content
        return found

    def meta(self, *keys: str) -> str | None:
        """The first non-empty `<meta name|property=key content>` among `keys`."""
        for key in keys:
            if key.lower() in self.metas:
                return self.metas[key.lower()]
        return None

    @cached_property
    def _link_tags(self) -> list[Tag]:
        return list(self.soup.find_all("link", href=True, limit=2000))

    def links(self, rel: str) -> list[Tag]:
        """`<link>` tags whose rel contains `rel` (case-insensitive)."""
        out = []
        for tag in self._link_tags:
            value: Any = tag.get("rel") or []
            rels = value.split() if isinstance(value, str) else list(value)
            if rel in [str(r).lower() for r in rels]:
                out.append(tag)
        return out

    def json_ld(self) -> list[dict[str, Any]]:
        """Every JSON-LD object on the page, `@graph` members flattened."""
        found: list[dict[str, Any]] = []
        for script in self.soup.find_all("script", type=re.compile("ld\\+json", re.I)):
            try:
                data = json.loads(script.string or "", strict=False)
            except ValueError:
                continue
            stack = data if isinstance(data, list) else [data]
            while stack:
                item = stack.pop(0)
                if isinstance(item, dict):
                    found.append(item)
                    graph = item.get("@graph")
                    if isinstance(graph, list):
                        stack.extend(graph)
        return found

    @cached_property
    def texts(self) -> list[tuple[str, Tag]]:
        """(text, parent) of every visible text node of the body, computed once."""
        return list(self.visible_text_nodes(self.soup.body or self.soup))

    def visible_text_nodes(self, root: Tag | None = None) -> Iterator[tuple[str, Tag]]:
        """(text, parent) for each visible text node under `root` (default: body, cached)."""
        if root is None:
            yield from self.texts
            return
        node = root
        for text in node.find_all(string=True):
            parent = text.parent
            if not isinstance(parent, Tag) or any(p.name in INVISIBLE for p in [parent, *parent.parents]):
                continue
            if hidden(parent):
                continue
            value = clean(str(text))
            if value:
                yield value, parent


def _flatten_below(soup: BeautifulSoup, max_depth: int) -> None:
    """Replace whatever sits deeper than `max_depth` by its text. Real pages nest a few dozen
    levels; thousands (a hostile page) would make every walk up the tree quadratic."""
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        children = [child for child in tag.children if isinstance(child, Tag)]
        if depth >= max_depth and children:
            text = tag.get_text(" ")
            tag.clear()
            tag.append(text)
            continue
        stack.extend((child, depth + 1) for child in children)


def _reveal_scripted_content(soup: BeautifulSoup, depth: int = 3) -> None:
    """A page whose whole content is an inline `display:none` wrapper, shown by a script once a
    loader is done: that wrapper is the page a visitor sees, so it is not treated as hidden."""
    body = soup.body
    if body is None:
        return
    total = len(body.get_text(" ", strip=True))
    level = [body]
    for _ in range(depth):
        level = [child for tag in level for child in tag.children if isinstance(child, Tag)][:200]
        for tag in level:
            style = str(tag.get("style", ""))
            if "display:none" not in style.replace(" ", "").lower():
                continue
            if len(tag.get_text(" ", strip=True)) >= max(200, 0.6 * total):
                tag["style"] = _DISPLAY_NONE.sub("", style)
                return


def hidden(tag: Tag) -> bool:
    """True when `tag` or an ancestor is hidden by an attribute or inline style."""
    for node in [tag, *tag.parents]:
        if not isinstance(node, Tag):
            continue
        if node.has_attr("hidden") or str(node.get("aria-hidden", "")).lower() == "true":
            return True
        style = str(node.get("style", "")).replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            return True
    return False


def ld_types(item: dict[str, Any]) -> set[str]:
    """The `@type`s of a JSON-LD object, lower-cased."""
    value = item.get("@type", [])
    return {str(t).lower() for t in (value if isinstance(value, list) else [value])}


@dataclass
class Sheet:
    """A stylesheet's text and where it came from (`url`, or the page URL for inline CSS)."""

    url: str
    text: str
    inline: bool = False
    parsed: list[Any] | None = field(default=None, repr=False, compare=False)  # css.declarations' cache


@dataclass
class Site:
    """The pages and stylesheets fetched for one business, home page first."""

    origin: str
    pages: list[Page]
    sheets: list[Sheet] = field(default_factory=list)
    aliases: frozenset[str] = frozenset()
    fetched: dict[str, Any] = field(default_factory=dict, repr=False)  # URL → fetch Response (for the renderer)
    failed: set[str] = field(default_factory=set, repr=False)  # URLs that failed once: not asked again

    @property
    def home(self) -> Page:
        """The home page."""
        return self.pages[0]

    def absolute(self, href: str, base: str | None = None) -> str | None:
        """`href` as an absolute http(s) URL, same-site URLs moved onto the fetched origin."""
        href = (href or "").strip()
        if not href or href.startswith(("#", "data:", "javascript:", "mailto:", "tel:")):
            return None
        url = urljoin(base or self.home.base, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        if self.is_same_site(url):
            origin = urlsplit(self.origin)
            return urlunsplit((origin.scheme, origin.netloc, parts.path or "/", parts.query, ""))
        return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))

    def is_same_site(self, url: str) -> bool:
        """True for URLs on the fetched origin or on a host the pages call their own."""
        parts = urlsplit(url)
        origin = urlsplit(self.origin)
        if (parts.hostname, parts.port) == (origin.hostname, origin.port):
            return True
        host = (parts.hostname or "").lower()
        return _bare(host) in self.aliases

    def path(self, url: str) -> str:
        """The path of a URL on this site, without the leading slash (for reports and labels)."""
        return urlsplit(url).path.lstrip("/")


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def site_aliases(page: Page, origin: str) -> frozenset[str]:
    """Hosts the home page names as its own: the fetched one, canonical and og:url (without www.)."""
    hosts = {_bare((urlsplit(origin).hostname or "").lower())}
    urls = [str(tag.get("href", "")) for tag in page.links("canonical")]
    og_url = page.meta("og:url")
    if og_url:
        urls.append(og_url)
    for url in urls:
        host = (urlsplit(url.strip()).hostname or "").lower()
        if host:
            hosts.add(_bare(host))
    return frozenset(hosts)
