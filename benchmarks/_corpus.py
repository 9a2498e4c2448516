"""Scoring the scrape stage against the hand-labelled corpora (shared by
`benchmarks/brand_accuracy.py` and the accuracy floor test).

Two corpora, one schema: ../shared/corpus (the 14 sites the rules were tuned on: all `tune`) and
benchmarks/corpus (sites labelled later; each label's `split` says `tune` or `heldout`). Held-out
sites are scored, never tuned on: their per-site results are not printed unless asked for.

Each site is served on 127.0.0.1 from a free port and scraped by the real stage code. The resolver
answers only for loopback and the settings forbid off-site assets, so absolute URLs to the
businesses' real domains and to CDNs are never fetched: same-site ones are mapped to the local
origin (see `pipeline.scrape.page.Site`), the rest are ignored.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.browser import Browser
from pipeline.models import BrandProfile, LeadInput
from pipeline.scrape import render
from pipeline.scrape.colorvalue import delta_e
from pipeline.scrape.fetch import Fetcher
from pipeline.scrape.names import norm
from pipeline.settings import Settings
from pipeline.stages.scrape import scrape
from tests.support.resolver import loopback_only
from tests.support.servers import serve_directory

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
LOCAL_CORPUS = Path(__file__).resolve().parent / "corpus"
SPLITS = ("tune", "heldout")
MISSING: list[str] = []  # labelled sites whose files were not found (not scored)
GOALS = {"name": 0.95, "logo": 0.90, "primary": 0.85, "tagline": 0.60, "email": 0.95, "phone": 0.95}
FIELDS = ("name", "logo", "primary", "email", "phone", "address", "social", "language", "tagline")
PRIMARY_MAX_DE = 12.0


def bench_settings(**overrides: Any) -> Settings:
    """Settings for scraping the corpus: loopback allowed, no off-site assets, short timeouts."""
    values: dict[str, Any] = {
        "allow_loopback": True,
        "scrape_offsite_assets": False,
        "fetch_retries": 0,
        "fetch_deadline_s": 10.0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass(frozen=True)
class CorpusSite:
    """One labelled site: its name, the folder served as its origin, its label and its split."""

    name: str
    root: Path
    label: dict[str, Any] = field(repr=False)
    split: str


def local_site_dirs() -> list[Path]:
    """Where benchmarks/corpus's site files may be: they are third-party content kept outside the
    repository (see benchmarks/corpus/README.md). BRAND_CORPUS_SITES (':'-separated folders) first."""
    given = [Path(p) for p in os.environ.get("BRAND_CORPUS_SITES", "").split(":") if p]
    repo = Path(__file__).resolve().parents[1]
    return [
        *given,
        LOCAL_CORPUS / "sites",
        repo.parent / "shared" / "corpus-heldout" / "sites",
        repo.parent / "corpus-staging" / "sites",
        repo.parent.parent / "corpus-staging" / "sites",
    ]


def _read(corpus: Path, default_split: str | None, site_dirs: list[Path]) -> list[CorpusSite]:
    path = corpus / "sites.json"
    if not path.is_file():
        return []
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for name, label in sorted(data.items()):
        if not (corpus / "sites" / name).is_dir():
            # the labels are ours, the copied sites are not: they are kept outside the repository
            # (benchmarks/corpus/README.md) and linked in as benchmarks/corpus/sites where present
            continue
        split = default_split or str(label.get("split", "heldout"))  # unsure: keep it unseen
        root = next((d / name for d in site_dirs if (d / name / "index.html").is_file()), None)
        if root is None:
            MISSING.append(name)
            continue
        found.append(CorpusSite(name, root, label, split if split in SPLITS else "heldout"))
    return found


def corpus_sites(split: str | None = None) -> list[CorpusSite]:
    """Every labelled site of both corpora (or of one split), name order; a name in both is the shared one."""
    chosen: dict[str, CorpusSite] = {}
    MISSING.clear()
    for site in [*_read(CORPUS, "tune", [CORPUS / "sites"]), *_read(LOCAL_CORPUS, None, local_site_dirs())]:
        chosen.setdefault(site.name, site)
    return [s for s in sorted(chosen.values(), key=lambda s: s.name) if split is None or s.split == split]


def lead_for(site: str, url: str) -> LeadInput:
    """A CSV row as an agency would write it: the folder name as a rough company name, no phone."""
    company = site.replace("-", " ").title()
    return LeadInput.model_validate(
        {"company": company, "website": url, "email": f"owner@{site}.example.org"}, context={"allow_loopback": True}
    )


_browsers: dict[str, Browser] = {}


def bench_browser(settings: Settings) -> Browser:
    """One warm guarded browser for these settings (loopback-only resolver), reused across sites
    and tests like a scrape worker's; Playwright's sync API keeps it to the thread that made it."""
    key = settings.model_dump_json()
    if key not in _browsers:
        for old in _browsers.values():
            old.close()
        _browsers.clear()
        _browsers[key] = Browser(settings, resolver=loopback_only)
    return _browsers[key]


def scrape_corpus_site(site: CorpusSite, settings: Settings | None = None) -> BrandProfile:
    """Serve one corpus site on loopback and run the real scrape on it (rendered too when the
    settings say so, on the benchmark's warm browser)."""
    settings = settings or bench_settings()
    browser = bench_browser(settings) if render.wanted(settings) else None
    with serve_directory(site.root) as url, Fetcher(settings, resolver=loopback_only) as fetcher:
        return scrape(lead_for(site.name, url), settings, fetcher, final_attempt=True, browser=browser)


def phone_digits(phone: str) -> str:
    """Digits of a phone number without international prefix."""
    d = re.sub(r"\D", "", phone)
    return d[2:] if d.startswith("00") else d


def same_phone(a: str, b: str) -> bool:
    """Same number, ignoring a leading country code and trunk zero."""
    x, y = phone_digits(a).lstrip("0"), phone_digits(b).lstrip("0")
    if x == y:
        return True
    longer, shorter = (x, y) if len(x) >= len(y) else (y, x)
    return len(shorter) >= 6 and longer.endswith(shorter) and len(longer) - len(shorter) <= 3


def _social_key(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    query = f"?{parts.query}" if "id=" in parts.query else ""
    return f"{host}{parts.path.rstrip('/').lower()}{query}"


def _found(profile: BrandProfile, name: str) -> str | None:
    """A field's value as the scraper found it: a CSV fallback counts as 'none found'."""
    value = getattr(profile, name)
    return None if profile.sources.get(name) == "csv" else value


def score(profile: BrandProfile, label: dict[str, Any]) -> dict[str, bool | None]:
    """Per field: True right, False wrong, None when the label leaves nothing to score."""
    out: dict[str, bool | None] = {}
    names = {norm(n) for n in [label["name"], *label.get("name_aliases", [])]}
    out["name"] = norm(profile.name) in names
    logo = profile.logo
    if label["logo"] is None:
        out["logo"] = logo is None or logo.source == "monogram"
    else:
        got = urlsplit(logo.url).path.lstrip("/") if logo is not None and logo.url else None
        out["logo"] = got in label["logo"]
    acceptable = label["colors"]["acceptable"]
    out["primary"] = min(delta_e(profile.palette.primary, c) for c in acceptable) <= PRIMARY_MAX_DE
    for key in ("email", "phone"):
        want, got = label[key], _found(profile, key)
        if want is None:
            out[key + "∅"] = got is None
            out[key] = None
        elif key == "email":
            out[key] = got is not None and got.lower() == want.lower()
        else:
            out[key] = got is not None and same_phone(got, want)
    want_addr, got_addr = label.get("address"), profile.address
    if want_addr is None:
        out["address"] = got_addr is None
    else:
        tokens = set(norm(want_addr).split())
        out["address"] = got_addr is not None and len(tokens & set(norm(got_addr).split())) >= 0.6 * len(tokens)
    out["social"] = {_social_key(u) for u in label.get("social", [])} == {_social_key(u) for u in profile.social}
    out["language"] = profile.language == label.get("language")
    want_tag = label.get("tagline")
    got_tag = norm(profile.tagline or "")
    out["tagline"] = (
        (got_tag == "")
        if want_tag is None
        else bool(got_tag) and (norm(want_tag) in got_tag or got_tag in norm(want_tag))
    )
    return out


@dataclass
class SiteResult:
    """One site's profile and scores."""

    site: str
    split: str
    profile: BrandProfile
    scores: dict[str, bool | None]
    seconds: float
    detail: dict[str, str] = field(default_factory=dict)


def _one(site: CorpusSite, settings: Settings | None) -> SiteResult:
    label = site.label
    started = time.monotonic()
    profile = scrape_corpus_site(site, settings)
    elapsed = time.monotonic() - started
    detail = {
        "name": profile.name,
        "logo": f"{profile.logo.source}:{urlsplit(profile.logo.url or '').path}" if profile.logo else "-",
        "primary": f"{profile.palette.primary} ({profile.sources.get('palette', '')})",
        "email": str(_found(profile, "email")),
        "phone": str(_found(profile, "phone")),
        "tagline": str(profile.tagline),
        "want": " | ".join(
            str(v)
            for v in (
                label["name"],
                label["logo"],
                label["colors"]["primary"],
                label["email"],
                label["phone"],
                label.get("tagline"),
            )
        ),
    }
    return SiteResult(site.name, site.split, profile, score(profile, label), elapsed, detail)


def run(
    sites: Iterable[str] | None = None,
    settings: Settings | None = None,
    workers: int = 7,
    *,
    split: str | None = None,
) -> list[SiteResult]:
    """Scrape and score every corpus site (or the given ones, or one split), a few at a time, in site order."""
    everything = {s.name: s for s in corpus_sites(split)}
    wanted = list(sites) if sites else list(everything)
    unknown = [name for name in wanted if name not in everything]
    if unknown:
        raise KeyError(f"not in the corpus{f' ({split})' if split else ''}: {', '.join(unknown)}")
    settings = settings or bench_settings()
    if render.wanted(settings):  # one browser, driven from this thread only
        return [_one(everything[name], settings) for name in wanted]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda name: _one(everything[name], settings), wanted))


def totals(results: list[SiteResult]) -> dict[str, tuple[int, int]]:
    """Field → (right, scored) over all sites; fields with a None score are not counted."""
    out: dict[str, tuple[int, int]] = {}
    keys = [*FIELDS, "email∅", "phone∅"]
    for key in keys:
        scored = [r.scores[key] for r in results if r.scores.get(key) is not None]
        out[key] = (sum(1 for s in scored if s), len(scored))
    return out


def rate(pair: tuple[int, int]) -> float:
    """right / scored, 1.0 when nothing was scored."""
    right, n = pair
    return right / n if n else 1.0
