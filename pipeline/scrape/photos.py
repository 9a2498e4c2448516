"""The business's own photos: `<img>`s of its pages (and the home page's `og:image`), best first,
downloaded from the site itself and re-encoded through the capped image decoder as WebP.

Excluded: icons, logos, avatars, tracking pixels, badges, stars and partner seals (by name, alt,
class and declared size), decorative images (`role=presentation`, `aria-hidden`, nearly flat
pixels), vector and animated formats, anything too small or too thin after decoding. The alt text
is the page's own (or the figure's caption); nothing is written for a photo the page left bare.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import Tag
from PIL import ImageStat

from pipeline.errors import PipelineError
from pipeline.media import raster
from pipeline.models import Photo
from pipeline.scrape.fetch import IMAGE_TYPES, Fetcher
from pipeline.scrape.page import Page, Site, clean, hidden
from pipeline.scrape.site import may_fetch
from pipeline.settings import Settings

MAX_IMAGES = 300
MIN_WIDTH, MIN_HEIGHT = 400, 240
MIN_ASPECT, MAX_ASPECT = 0.5, 3.0
FLAT_STDDEV = 10.0  # grey-level spread below which an image is a flat band, not a photo
PHOTO_QUALITY = 78
_EXCLUDE = re.compile(
    r"icon|logo|favicon|sprite|badge|avatar|emoji|flag|pixel|track|spinner|loader|arrow|social|payment|"
    r"rating|stars?\b|award|seal|certif|trustpilot|tripadvisor|google|partner|sponsor|placehold|qr|"
    r"signature|map\b|captcha|gravatar|profile",
    re.I,
)
_HERO = re.compile(r"hero|banner|masthead|cover|slide|carousel|header-image|intro|gallery|about|team", re.I)
_SKIP_EXT = re.compile(r"\.(svg|gif|ico|cur|bmp)$", re.I)


@dataclass(frozen=True)
class PhotoCandidate:
    """An image URL that may be a photo of the business, with its alt text and a score."""

    url: str
    alt: str
    score: float
    order: int


def _largest_src(img: Tag) -> str:
    for attr in ("srcset", "data-srcset"):
        value = str(img.get(attr, "") or "")
        best, best_w = "", -1.0
        for part in value.split(","):
            bits = part.strip().split()
            if not bits:
                continue
            size = bits[1] if len(bits) > 1 else "1x"
            number = re.match(r"[\d.]+", size)
            width = float(number.group(0)) if number else 0.0
            if width > best_w:
                best, best_w = bits[0], width
        if best:
            return best
    return str(img.get("src") or img.get("data-src") or "")


def _classes_up(tag: Tag, depth: int = 3) -> str:
    parts = [f"{tag.get('id', '')} {' '.join(tag.get('class') or [])}"]
    for parent in list(tag.parents)[:depth]:
        if isinstance(parent, Tag):
            parts.append(f"{parent.get('id', '')} {' '.join(parent.get('class') or [])}")
    return " ".join(parts)


def _declared_too_small(img: Tag) -> bool:
    sizes = []
    for attr in ("width", "height"):
        match = re.match(r"\s*(\d+)\s*(px)?\s*$", str(img.get(attr, "")))
        sizes.append(int(match.group(1)) if match else None)
    width, height = sizes
    return (width is not None and width < MIN_WIDTH // 2) or (height is not None and height < MIN_HEIGHT // 2)


def _alt(img: Tag) -> str:
    alt = clean(str(img.get("alt", "") or ""))
    if alt:
        return alt[:200]
    figure = img.find_parent("figure")
    caption = figure.find("figcaption") if isinstance(figure, Tag) else None
    return clean(caption.get_text(" "))[:200] if isinstance(caption, Tag) else ""


def _page_candidates(site: Site, page: Page, bonus: float, order: int) -> list[PhotoCandidate]:
    out: list[PhotoCandidate] = []
    for img in page.soup.find_all("img", limit=MAX_IMAGES):
        src = _largest_src(img)
        url = site.absolute(src, page.base) if src else None
        if url is None or _SKIP_EXT.search(urlsplit(url).path) or _declared_too_small(img):
            continue
        if str(img.get("role", "")) == "presentation" or hidden(img):
            continue
        if _EXCLUDE.search(f"{urlsplit(url).path} {img.get('alt', '')} {_classes_up(img)}"):
            continue
        if any(isinstance(p, Tag) and p.name in ("nav", "footer") for p in img.parents):
            continue
        alt = _alt(img)
        score = bonus + (3.0 if _HERO.search(_classes_up(img, 5)) else 0.0) + (1.0 if alt else 0.0)
        out.append(PhotoCandidate(url, alt, score, order + len(out)))
    return out


def candidates(site: Site, exclude: set[str]) -> list[PhotoCandidate]:
    """Photo candidates of every fetched page, best first (home page and hero images first);
    URLs in `exclude` (the logo) are left out."""
    found: list[PhotoCandidate] = []
    og = site.home.meta("og:image")
    og_url = site.absolute(og, site.home.base) if og else None
    if og_url and not _EXCLUDE.search(urlsplit(og_url).path) and not _SKIP_EXT.search(urlsplit(og_url).path):
        found.append(PhotoCandidate(og_url, site.home.meta("og:image:alt") or "", 2.5, 0))
    for i, page in enumerate(site.pages):
        found += _page_candidates(site, page, 2.0 if i == 0 else 0.0, 1000 * (i + 1))
    best: dict[str, PhotoCandidate] = {}
    for c in found:
        if c.url in exclude:
            continue
        kept = best.get(c.url)
        if kept is None or (c.score, bool(c.alt)) > (kept.score, bool(kept.alt)):
            best[c.url] = (
                c if kept is None or c.alt or not kept.alt else PhotoCandidate(c.url, kept.alt, c.score, c.order)
            )
    return sorted(best.values(), key=lambda c: (-c.score, c.order))


def is_photo(data: bytes, width: int, height: int) -> bool:
    """Big enough, not a strip, not a flat band (checked on our own re-encoded bytes)."""
    if width < MIN_WIDTH or height < MIN_HEIGHT or not MIN_ASPECT <= width / height <= MAX_ASPECT:
        return False
    small = raster.decode(data, max_pixels=width * height).convert("L").resize((64, 64))
    return float(ImageStat.Stat(small).stddev[0]) >= FLAT_STDDEV


def download_photos(
    site: Site, found: list[PhotoCandidate], fetcher: Fetcher, settings: Settings, notes: list[str]
) -> list[Photo]:
    """Up to `scrape_photo_max` photos, downloaded from the site and re-encoded (WebP, capped)."""
    photos: list[Photo] = []
    seen: set[str] = set()
    for candidate in found[: settings.scrape_photo_attempts]:
        if len(photos) >= settings.scrape_photo_max:
            break
        if not may_fetch(site, candidate.url, settings):
            continue
        try:
            resp = fetcher.get(
                candidate.url,
                accept=(*IMAGE_TYPES, "application/octet-stream"),
                stay=lambda hop: may_fetch(site, hop, settings),
            )
            data, width, height = raster.photo_webp(
                resp.content,
                max_pixels=settings.image_max_pixels,
                max_side_px=settings.photo_max_side_px,
                quality=PHOTO_QUALITY,
            )
        except PipelineError as exc:
            notes.append(f"photo skipped: {exc}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen or not is_photo(data, width, height):
            continue
        seen.add(digest)
        photos.append(
            Photo(
                data_b64=base64.b64encode(data).decode(),
                alt=candidate.alt,
                url=resp.url,
                width=width,
                height=height,
                sha256=digest,
            )
        )
    return photos
