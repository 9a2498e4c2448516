"""Crawl one business's site within budget: the home page, its stylesheets, and a few internal
pages (contact, about, imprint) that robots.txt allows. Only the home page may fail the scrape;
anything else that fails is noted and skipped."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import Tag

from pipeline.errors import PipelineError
from pipeline.scrape.css import vendor_sheet
from pipeline.scrape.fetch import CSS_TYPES, HTML_TYPES, Fetcher, same_origin
from pipeline.scrape.page import Page, Sheet, Site, site_aliases
from pipeline.scrape.robots import load_robots
from pipeline.settings import Settings

# Pages worth a visit, best first: where small businesses put contact details and their story.
PAGE_HINTS: tuple[tuple[str, int], ...] = (
    (r"contact|kontakt|contatt|contacto|contato|nous-contacter|get-in-touch|kapcsolat|yhtey|iletisim|iletişim", 10),
    (r"impressum|imprint|mentions|legal|note-legali", 8),
    (r"about|ueber|uber-uns|a-propos|apropos|qui-sommes|chi-siamo|who-we-are|team|praxis|over-ons|om-oss?|o-nas", 6),
    (r"location|find-us|anfahrt|visit|hours|oeffnungszeiten", 4),
)
_REFRESH = re.compile(r"\s*(\d{1,3}(?:\.\d+)?)\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)
MAX_REFRESH_S = 5.0
_SKIP_EXT = re.compile(r"\.(pdf|jpe?g|png|gif|webp|svg|zip|docx?|xlsx?|mp4|mp3|ics|xml|json)$", re.I)


def origin_of(url: str) -> str:
    """scheme://host[:port]/ of a URL."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def crawl(url: str, fetcher: Fetcher, settings: Settings, notes: list[str]) -> Site:
    """Fetch the home page (its errors propagate), then stylesheets and internal pages (noted on failure)."""
    resp = fetcher.get(url, accept=HTML_TYPES)
    home = Page.parse(resp.url, resp.content, resp.charset)
    target = refresh_target(home)
    if target is not None:
        # A root page that only sends visitors on (`<meta http-equiv=refresh>`, often in `<noscript>`
        # next to a language-choosing script): the page it sends them to is the home page.
        try:
            resp = fetcher.get(target, accept=HTML_TYPES, stay=lambda hop: same_origin(hop, resp.url))
            home = Page.parse(resp.url, resp.content, resp.charset)
        except PipelineError as exc:
            notes.append(f"refresh target skipped: {exc}")
    origin = origin_of(resp.url)
    # The host the lead named is the site too, when it redirected elsewhere (example.com -> www.example.com).
    aliases = site_aliases(home, origin) | {_bare_host(url)}
    site = Site(origin=origin, pages=[home], aliases=aliases, fetched={resp.url: resp})
    site.sheets = _sheets(site, home, fetcher, settings, notes)
    extra = pick_pages(site, settings.scrape_page_budget - 1)
    if extra:
        robots = load_robots(origin, fetcher)
        for page_url in extra:
            if not robots.allowed(page_url, settings.user_agent):
                notes.append(f"robots.txt disallows {page_url}")
                continue
            try:
                got = fetcher.get(page_url, accept=HTML_TYPES, stay=site.is_same_site)
            except PipelineError as exc:
                notes.append(f"page skipped: {exc}")
                continue
            site.pages.append(Page.parse(got.url, got.content, got.charset))
    return site


def refresh_target(page: Page) -> str | None:
    """The same-origin page a `<meta http-equiv=refresh>` of at most a few seconds sends visitors to."""
    for meta in page.soup.find_all("meta", attrs={"http-equiv": True}, limit=20):
        if str(meta.get("http-equiv", "")).strip().lower() != "refresh":
            continue
        match = _REFRESH.match(str(meta.get("content", "")))
        if not match or float(match[1]) > MAX_REFRESH_S or not match[2].strip():
            continue
        target = urljoin(page.base, match[2].strip())
        if same_origin(target, page.url) and target.split("#")[0] != page.url:
            return str(target.split("#")[0])
    return None


def _bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def may_fetch(site: Site, url: str, settings: Settings) -> bool:
    """Assets come from the site's own origin; other hosts only when `scrape_offsite_assets` is on."""
    return site.is_same_site(url) or settings.scrape_offsite_assets


def _sheets(site: Site, page: Page, fetcher: Fetcher, settings: Settings, notes: list[str]) -> list[Sheet]:
    """The page's inline styles and up to `scrape_max_stylesheets` linked stylesheets, in document
    order. When a page links more than that, the site's own go before frameworks' and plugins':
    templates link a dozen vendor sheets first and their theme last."""
    nodes: list[tuple[Tag, str | None]] = []
    for node in page.soup.find_all(["link", "style"]):
        if node.name == "style":
            nodes.append((node, None))
            continue
        rels = [str(r).lower() for r in (node.get("rel") or [])]
        href = site.absolute(str(node.get("href", "")), page.base)
        if "stylesheet" in rels and href is not None and "alternate" not in rels and may_fetch(site, href, settings):
            nodes.append((node, href))
    linked = [href for _, href in nodes if href is not None]
    chosen = set(sorted(linked, key=vendor_sheet)[: settings.scrape_max_stylesheets])
    sheets: list[Sheet] = []
    for node, href in nodes:
        if href is None:
            sheets.append(Sheet(url=page.url, text=node.get_text(), inline=True))
            continue
        if href not in chosen:
            continue
        budget = settings.scrape_css_budget_bytes - sum(len(sheet.text) for sheet in sheets)
        if budget <= 0:
            notes.append(f"stylesheet skipped: CSS budget of {settings.scrape_css_budget_bytes} bytes used up")
            break
        try:
            got = fetcher.get(
                href,
                accept=(*CSS_TYPES, "text/plain"),
                max_bytes=min(settings.fetch_max_bytes, budget),
                stay=lambda hop: may_fetch(site, hop, settings),
            )
        except PipelineError as exc:
            notes.append(f"stylesheet skipped: {exc}")
            site.failed.add(href)
            continue
        sheets.append(Sheet(url=got.url, text=got.text()))
        site.fetched.setdefault(href, got)
    return sheets


def pick_pages(site: Site, budget: int) -> list[str]:
    """Up to `budget` internal page URLs from the home page's links, most useful first."""
    if budget <= 0:
        return []
    scored: dict[str, int] = {}
    home = site.home
    for a in home.soup.find_all("a", href=True, limit=3000):
        url = site.absolute(str(a["href"]), home.base)
        if url is None or not site.is_same_site(url) or _SKIP_EXT.search(urlsplit(url).path):
            continue
        url = url.split("#", 1)[0]
        if url.rstrip("/") == home.url.rstrip("/") or urlsplit(url).path in ("", "/", "/index.html"):
            continue
        hay = (urlsplit(url).path + " " + a.get_text(" ")).lower()
        score = max((weight for pattern, weight in PAGE_HINTS if re.search(pattern, hay)), default=0)
        if score:
            scored[url] = max(score, scored.get(url, 0))
    ranked = sorted(scored, key=lambda u: (-scored[u], len(u)))
    return ranked[:budget]
