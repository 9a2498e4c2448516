"""Scrape stage: the prospect's website → `BrandProfile` (name, logo, colours, contact details).

Thin version of the walking skeleton: one page, a few sources; falls back to the CSV row, flagged
`degraded`, when the site cannot be reached.
"""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup

from pipeline import netguard
from pipeline.errors import PermanentError, TransientError
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult

DEFAULT_PALETTE = Palette(primary="#1f4e79", secondary="#f2a900", colors=["#1f4e79", "#f2a900"])
_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$", re.IGNORECASE)


def fetch(url: str, settings: Settings, session: requests.Session) -> requests.Response:
    """GET one URL with timeouts and a size cap; errors translated into the error tree."""
    netguard.check_url(url, allow_loopback=settings.allow_loopback)
    try:
        resp = session.get(
            url,
            timeout=(settings.fetch_connect_timeout_s, settings.fetch_read_timeout_s),
            headers={"User-Agent": settings.user_agent},
            stream=True,
            allow_redirects=False,
        )
        body = b""
        for chunk in resp.iter_content(65536):
            body += chunk
            if len(body) > settings.fetch_max_bytes:
                raise PermanentError(f"{url}: response larger than {settings.fetch_max_bytes} bytes")
        resp._content = body
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"{url}: {type(exc).__name__}") from exc
    except requests.RequestException as exc:
        raise PermanentError(f"{url}: {exc}") from exc
    if resp.status_code == 429 or resp.status_code >= 500:
        raise TransientError(f"{url}: HTTP {resp.status_code}")
    if resp.status_code >= 400:
        raise PermanentError(f"{url}: HTTP {resp.status_code}")
    return resp


def monogram_logo(name: str, color: str) -> LogoAsset:
    """A generated SVG monogram (initials on the brand colour) for sites without a usable logo."""
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z0-9À-ÿ]+", name)[:2]).upper() or "?"
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
        f'<rect width="120" height="120" rx="24" fill="{color}"/>'
        '<text x="60" y="76" font-family="sans-serif" font-size="48" font-weight="700" '
        f'text-anchor="middle" fill="#ffffff">{html.escape(initials)}</text></svg>'
    )
    return LogoAsset(media_type="image/svg+xml", data_b64=base64.b64encode(svg.encode()).decode(), source="monogram")


def fallback_profile(lead: LeadInput, reason: str) -> BrandProfile:
    """The profile made from the CSV row alone, flagged degraded."""
    return BrandProfile(
        name=lead.company,
        website=lead.website,
        logo=monogram_logo(lead.company, DEFAULT_PALETTE.primary),
        palette=DEFAULT_PALETTE,
        phone=lead.phone or None,
        email=lead.email,
        sources={"name": "csv", "logo": "monogram", "palette": "default", "email": "csv"},
        degraded=[f"site unreachable: {reason}"],
    )


def extract(lead: LeadInput, page_html: str, base_url: str) -> tuple[BrandProfile, str | None]:
    """Pure extraction from one page: the profile and the URL of a logo candidate."""
    soup = BeautifulSoup(page_html, "lxml")
    sources: dict[str, str] = {}
    name = lead.company
    og = soup.find("meta", attrs={"property": "og:site_name"})
    if og and og.get("content"):
        name, sources["name"] = str(og["content"]).strip(), "og:site_name"
    elif soup.title and soup.title.string:
        name, sources["name"] = re.split(r"\s[|–—-]\s", soup.title.string.strip())[0], "title"
    logo_url = None
    for img in soup.find_all("img", src=True):
        hint = " ".join([str(img.get("src")), str(img.get("alt", "")), " ".join(img.get("class") or [])])
        if "logo" in hint.lower():
            logo_url, sources["logo"] = urljoin(base_url, str(img["src"])), "img[logo]"
            break
    palette = DEFAULT_PALETTE
    theme = soup.find("meta", attrs={"name": "theme-color"})
    if theme and _HEX.match(str(theme.get("content", "")).strip()):
        color = str(theme["content"]).strip().lower()
        palette, sources["palette"] = Palette(primary=color, colors=[color]), "theme-color"
    tel = soup.select_one('a[href^="tel:"]')
    mail = soup.select_one('a[href^="mailto:"]')
    profile = BrandProfile(
        name=name or lead.company,
        website=lead.website,
        palette=palette,
        phone=str(tel["href"])[4:].strip() if tel else (lead.phone or None),
        email=str(mail["href"])[7:].split("?")[0].strip() if mail else lead.email,
        language=str(soup.html.get("lang", "")) or None if soup.html else None,
        sources=sources,
        pages_fetched=[base_url],
    )
    return profile, logo_url


def scrape(lead: LeadInput, settings: Settings, session: requests.Session, *, final_attempt: bool) -> BrandProfile:
    """Fetch the home page and extract the brand; degrade to the CSV row when the site is gone.

    A transient failure is raised (to be retried) unless this is the final attempt."""
    try:
        resp = fetch(lead.website, settings, session)
    except TransientError as exc:
        if not final_attempt:
            raise
        return fallback_profile(lead, str(exc))
    except PermanentError as exc:
        return fallback_profile(lead, str(exc))
    profile, logo_url = extract(lead, resp.text, lead.website)
    if logo_url:
        try:
            img = fetch(logo_url, settings, session)
            media = img.headers.get("Content-Type", "").split(";")[0].strip()
            if media.startswith("image/"):
                profile.logo = LogoAsset(
                    media_type=media, data_b64=base64.b64encode(img.content).decode(), source="img[logo]", url=logo_url
                )
        except (TransientError, PermanentError):
            pass
    if profile.logo is None:
        profile.logo = monogram_logo(profile.name, profile.palette.primary)
        profile.degraded.append("no logo found: monogram")
    return profile


def run(ctx: StageContext) -> StageResult:
    """Job adapter: scrape the lead's website."""
    with requests.Session() as session:
        profile = scrape(ctx.record.lead, ctx.settings, session, final_attempt=ctx.final_attempt)
    return StageResult(output=profile, degraded=profile.degraded)
