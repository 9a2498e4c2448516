"""Links gate: every internal link and asset answers 200, `tel:` and `mailto:` are well formed,
in-page fragments exist, and external links pass the scraper's address guard (and, when
`qa_check_external_links` is on, answer through the guarded fetcher). External results are cached
per run (`LinkCache`), since every site of a run links to the same few social and map hosts.

Internal failures fail the gate; an external link the guard refuses fails it too (the email would
point a prospect at a private address); an external host that does not answer only asks for review.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol
from urllib.parse import unquote, urldefrag, urlsplit

from email_validator import EmailNotValidError, validate_email

from pipeline import netguard
from pipeline.browser import Tab, status_of
from pipeline.errors import BlockedAddress, PipelineError, TransientError
from pipeline.models import GateCheck, Verdict
from pipeline.qa import check
from pipeline.scrape.fetch import Fetcher, same_origin

TEL = re.compile(r"^\+?[0-9][0-9().-]{2,30}$")

_COLLECT = """() => ({
  links: [...document.querySelectorAll('a[href], area[href]')].map(a => [a.getAttribute('href'), a.href]),
  assets: [...document.querySelectorAll('img[src], script[src], link[href], source[src], video[src], iframe[src]')]
    .map(e => e.src || e.href).concat([...document.querySelectorAll('img[srcset], source[srcset]')]
    .flatMap(e => e.srcset.split(',').map(s => new URL(s.trim().split(/\\s+/)[0], document.baseURI).href))),
  ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name')),
})"""


class LinkCache(Protocol):
    """Where external link results live for one run (`pipeline.qa.artifacts.RedisLinkCache`)."""

    def get(self, url: str) -> str | None:
        """A cached result (JSON), or None."""

    def put(self, url: str, value: str) -> None:
        """Remember a result."""


class MemoryLinkCache:
    """A `LinkCache` in a dict (benchmarks, one-off checks)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, url: str) -> str | None:
        """A cached result, or None."""
        return self.data.get(url)

    def put(self, url: str, value: str) -> None:
        """Remember a result."""
        self.data[url] = value


def tel_problem(href: str) -> str | None:
    """Why a `tel:` link is malformed (RFC 3966: digits, an optional leading +, visual separators)."""
    number = unquote(href[4:])
    return None if TEL.match(number) and sum(c.isdigit() for c in number) >= 3 else f"malformed {href!r}"


def mailto_problem(href: str) -> str | None:
    """Why a `mailto:` link is malformed (one valid address; query parameters allowed)."""
    address = unquote(href[7:].split("?", 1)[0])
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"malformed {href!r}: {exc}"
    return None


def external_verdict(url: str, fetcher: Fetcher, fetch: bool) -> tuple[Verdict, str]:
    """The guard's decision on an external link and, when `fetch`, whether it answers."""
    try:
        netguard.check_url(url, allow_loopback=fetcher.settings.allow_loopback)
        if not fetch:
            return "pass", "allowed by the address guard"
        resp = fetcher.get(url, accept=(), max_bytes=1_000_000)
    except BlockedAddress as exc:
        return "fail", f"refused by the address guard: {exc}"
    except PipelineError as exc:
        return "review", f"did not answer: {exc}"
    return "pass", f"HTTP {resp.status}"


def _internal_status(url: str, tab: Tab, fetcher: Fetcher) -> tuple[int | None, str]:
    for served in tab.requests:
        if served.url == url and (served.status is not None or served.error):
            return served.status, served.error or ""
    try:
        return fetcher.get(url, accept=()).status, ""
    except TransientError:
        raise  # the web server is struggling, not the site: retry the stage
    except PipelineError as exc:
        return status_of(exc), str(exc)


def collect(tab: Tab) -> dict[str, Any]:
    """The page's links, assets and element ids, and its own URL."""
    found: dict[str, Any] = tab.page.evaluate(_COLLECT)
    found["page_url"] = urldefrag(tab.page.url)[0]
    return found


def gate(
    tab: Tab, fetcher: Fetcher, cache: LinkCache, *, fetch_external: bool, found: dict[str, Any] | None = None
) -> GateCheck:
    """Check every link and asset of the page (`found`: what `collect` found, when the caller has it)."""
    found = collect(tab) if found is None else found
    ids = {str(i) for i in found["ids"] if i}
    page_url = found["page_url"]
    problems: list[str] = []
    review: list[str] = []
    internal: dict[str, int | None] = {}
    external: dict[str, str] = {}
    targets: list[str] = []
    for raw, absolute in found["links"]:
        href = str(raw).strip()
        scheme = urlsplit(href).scheme.lower()
        if scheme == "tel":
            problems += filter(None, [tel_problem(href)])
        elif scheme == "mailto":
            problems += filter(None, [mailto_problem(href)])
        elif href.startswith("#"):
            if href not in ("#", "#top") and unquote(href[1:]) not in ids:
                problems.append(f"link to a missing anchor {href}")
        elif scheme in ("", "http", "https"):
            targets.append(urldefrag(str(absolute))[0])
        else:
            problems.append(f"link with scheme {scheme!r}: {href[:80]}")
    targets += [urldefrag(str(a))[0] for a in found["assets"]]
    targets += [r.url for r in tab.requests if r.resource_type != "websocket"]
    for url in dict.fromkeys(targets):
        if same_origin(url, page_url):
            status, error = _internal_status(url, tab, fetcher)
            internal[url] = status
            if status != 200:
                problems.append(f"{url} answered {status or error}")
            continue
        cached = cache.get(url)
        if cached is None:
            verdict, detail = external_verdict(url, fetcher, fetch_external)
            cache.put(url, json.dumps([verdict, detail]))
        else:
            verdict, detail = json.loads(cached)
        external[url] = f"{verdict}: {detail}"
        if verdict == "fail":
            problems.append(f"{url} {detail}")
        elif verdict == "review":
            review.append(f"{url} {detail}")
    return check("links", problems, {"internal": internal, "external": external}, review)
