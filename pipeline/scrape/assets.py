"""Download the logo once and make it safe through `pipeline.media` (the one place for that):
rasters re-encoded to PNG under a pixel cap, SVG sanitised. The bytes go into the profile
(base64), which the job engine stores in Redis, so any worker host can read them."""

from __future__ import annotations

import base64
import hashlib

from pipeline.errors import PipelineError
from pipeline.media import raster, svg
from pipeline.models import LogoAsset
from pipeline.scrape.fetch import IMAGE_TYPES, Fetcher
from pipeline.scrape.logo import Candidate
from pipeline.scrape.page import Site
from pipeline.scrape.site import may_fetch
from pipeline.settings import Settings

SVG_TYPES = ("image/svg+xml",)


def _asset(
    media_type: str, data: bytes, source: str, url: str | None, size: tuple[int | None, int | None]
) -> LogoAsset:
    return LogoAsset(
        media_type=media_type,
        data_b64=base64.b64encode(data).decode(),
        source=source,
        url=url,
        width=size[0],
        height=size[1],
        sha256=hashlib.sha256(data).hexdigest(),
    )


def make_safe(
    content: bytes, media_type: str, url: str, settings: Settings
) -> tuple[str, bytes, tuple[int | None, int | None]]:
    """(media type, safe bytes, (width, height)) of a downloaded image; raises PermanentError if unusable."""
    head = content[:512].lstrip().lower()
    if (
        media_type == "image/svg+xml"
        or url.lower().split("?")[0].endswith(".svg")
        or head.startswith((b"<svg", b"<?xml"))
    ):
        data = svg.sanitize(content, max_bytes=settings.fetch_max_bytes)
        return "image/svg+xml", data, svg.size(data) or (None, None)
    data, width, height = raster.logo_png(
        content, max_pixels=settings.image_max_pixels, max_side_px=settings.logo_max_side_px
    )
    return "image/png", data, (width, height)


def download_logo(
    site: Site, found: list[Candidate], fetcher: Fetcher, settings: Settings, notes: list[str]
) -> LogoAsset | None:
    """The first candidate, best first, that downloads and decodes; None when all fail."""
    tried: set[str] = set()
    for candidate in found:
        if len(tried) >= settings.scrape_logo_attempts:
            break
        if candidate.svg is not None:
            try:
                data = svg.sanitize(candidate.svg.encode(), max_bytes=settings.fetch_max_bytes)
            except PipelineError as exc:
                notes.append(f"inline SVG logo refused: {exc}")
                continue
            return _asset("image/svg+xml", data, candidate.source, None, svg.size(data) or (None, None))
        url = candidate.url
        if url is None or url in tried or not may_fetch(site, url, settings):
            continue
        tried.add(url)
        try:
            resp = fetcher.get(
                url,
                accept=(*IMAGE_TYPES, "application/octet-stream", "text/plain"),
                stay=lambda hop: may_fetch(site, hop, settings),
            )
            media, data, size = make_safe(resp.content, resp.media_type, resp.url, settings)
        except PipelineError as exc:
            notes.append(f"logo candidate {candidate.source} refused: {exc}")
            continue
        return _asset(media, data, candidate.source, resp.url, size)
    return None
