"""Corpus sites as leads with brand profiles, for the site benchmarks (`theme_quality`,
`contact_sheet`) and the corpus quality test: either the profile the real scrape produces (each
site served on 127.0.0.1, the stage's own code, nothing else contacted), or one made from the hand
labels and the site's own files (fast: no HTTP). Nothing of the corpus enters the repository."""

from __future__ import annotations

import base64
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from benchmarks import _corpus
from pipeline.errors import PipelineError
from pipeline.media import raster
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette, Photo
from pipeline.scrape.page import Page, Site
from pipeline.scrape.photos import candidates as photo_candidates
from pipeline.scrape.photos import is_photo

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("BENCH_CORPUS_DIR", REPO.parent / "shared" / "corpus"))


@dataclass(frozen=True)
class CorpusSite:
    """One corpus site as a lead and the brand profile a scraper should have found."""

    name: str
    lead: LeadInput
    key: str
    profile: BrandProfile


def _logo(site_dir: Path, paths: list[str] | None) -> LogoAsset | None:
    for rel in paths or []:
        path = site_dir / rel
        if path.is_file():
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            data = base64.b64encode(path.read_bytes()).decode()
            return LogoAsset(media_type=media_type, data_b64=data, source="corpus-label", url=rel)
    return None


def _page_text(site_dir: Path, entry: str) -> tuple[list[str], list[str]]:
    """Paragraphs (≥ 60 characters) and short h3 headings of the entry page, as stand-ins for the
    scraper's `paragraphs` and `services`."""
    soup = BeautifulSoup((site_dir / entry).read_bytes(), "lxml")
    paragraphs = [" ".join(p.get_text(" ").split()) for p in soup.find_all("p")]
    services = [" ".join(h.get_text(" ").split()) for h in soup.find_all("h3")]
    return [p for p in paragraphs if len(p) >= 60][:3], [s for s in services if 2 < len(s) <= 60][:6]


def _photos(site_dir: Path, entry: str, logo_paths: list[str] | None) -> list[Photo]:
    """The entry page's photos as the scrape would keep them (same candidates, same decoder and
    filters), read from the site folder instead of over HTTP."""
    page = Page.parse(f"http://127.0.0.1/{entry}", (site_dir / entry).read_bytes())
    site = Site(origin="http://127.0.0.1/", pages=[page])
    found: list[Photo] = []
    for candidate in photo_candidates(site, set()):
        rel = unquote(urlsplit(candidate.url).path).lstrip("/")
        path = site_dir / rel
        if rel in (logo_paths or []) or not path.is_file() or len(found) == 4:
            continue
        try:
            data, width, height = raster.photo_webp(
                path.read_bytes(), max_pixels=16_000_000, max_side_px=1280, quality=78
            )
        except PipelineError:
            continue
        if is_photo(data, width, height):
            b64 = base64.b64encode(data).decode()
            found.append(Photo(data_b64=b64, alt=candidate.alt, url=rel, width=width, height=height))
    return found


def corpus_sites(corpus: Path = CORPUS_DIR) -> list[CorpusSite]:
    """Every labelled corpus site as (lead, key, profile), in name order."""
    labels: dict[str, dict[str, Any]] = json.loads((corpus / "sites.json").read_text())
    sites = []
    for name in sorted(labels):
        label, site_dir = labels[name], corpus / "sites" / name
        website = f"https://{name}.example.com/"
        lead = LeadInput(company=label["name"], website=website, email=label["email"] or f"info@{name}.example.com")
        paragraphs, services = _page_text(site_dir, label.get("entry") or "index.html")
        profile = BrandProfile(
            name=label["name"],
            website=website,
            tagline=label.get("tagline"),
            logo=_logo(site_dir, label.get("logo")),
            palette=Palette(primary=label["colors"]["primary"], secondary=label["colors"].get("secondary")),
            phone=label.get("phone"),
            email=label.get("email"),
            address=label.get("address"),
            social=label.get("social") or [],
            language=label.get("language"),
            paragraphs=paragraphs,
            services=services,
            photos=_photos(site_dir, label.get("entry") or "index.html", label.get("logo")),
        )
        sites.append(CorpusSite(name, lead, lead.key, profile))
    return sites


def scraped_sites(corpus: Path = CORPUS_DIR, names: set[str] | None = None) -> list[CorpusSite]:
    """Every labelled corpus site (or those named) with the profile the real scrape stage gives it."""
    labelled = {s.name: s for s in _corpus.corpus_sites()}
    out: list[CorpusSite] = []
    for site in corpus_sites(corpus):
        if names and site.name not in names:
            continue
        source = labelled.get(site.name) or _corpus.CorpusSite(site.name, corpus / "sites" / site.name, {}, "tune")
        profile = _corpus.scrape_corpus_site(source)
        out.append(CorpusSite(site.name, site.lead, site.key, profile))
    return out
