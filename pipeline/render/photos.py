"""The business's photos as responsive WebP files: a few widths each for `srcset`, deterministic.

The scraper already re-encoded each photo under the pixel cap; here it is decoded again through the
same capped decoder (`assets.open_raster`: a stored profile is still untrusted bytes), flattened on
white (photos need no alpha) and written at each width of a plan with fixed encoder settings.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from PIL import Image

from pipeline.models import Photo
from pipeline.render.assets import Asset, named, open_raster

MAX_PHOTOS = 4


@dataclass(frozen=True)
class Plan:
    """How photos are written: the widths offered in `srcset` and the WebP quality."""

    widths: tuple[int, ...]
    quality: int


# Tried in order until the page fits its weight budget (then photos are dropped, last first).
PLANS: tuple[Plan, ...] = (
    Plan((480, 800, 1200), 62),
    Plan((480, 800), 60),
    Plan((400, 640), 50),
)


@dataclass(frozen=True)
class Picture:
    """One photo on the page: its variants (narrowest first) and its alt text."""

    variants: tuple[Asset, ...]
    alt: str

    @property
    def largest(self) -> Asset:
        """The widest variant: what `src` names and what a wide screen downloads."""
        return self.variants[-1]


def _decode(photo: Photo, max_pixels: int) -> Image.Image | None:
    try:
        data = base64.b64decode(photo.data_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    im = open_raster(data, max_pixels)
    if im is None:
        return None
    flat = Image.new("RGB", im.size, (255, 255, 255))
    flat.paste(im, mask=im.getchannel("A"))
    return flat


def picture(photo: Photo, alt: str, plan: Plan, max_pixels: int) -> Picture | None:
    """The photo at each width of `plan` no wider than itself (at least one), None if unusable."""
    im = _decode(photo, max_pixels)
    if im is None:
        return None
    widths = sorted({min(w, im.width) for w in plan.widths})
    variants: list[Asset] = []
    for width in widths:
        height = max(1, round(im.height * width / im.width))
        sized = im if width == im.width else im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=None)
        buf = io.BytesIO()
        sized.save(buf, "WEBP", quality=plan.quality, method=4)
        variants.append(named(f"photo-{width}", "webp", buf.getvalue(), "image/webp", width, height))
    return Picture(tuple(variants), alt)


def pictures(photos: list[tuple[Photo, str]], plan: Plan, max_pixels: int) -> list[Picture]:
    """Every usable photo (with its cleaned alt text) at `plan`, at most `MAX_PHOTOS`."""
    out: list[Picture] = []
    for photo, alt in photos:
        made = picture(photo, alt, plan, max_pixels)
        if made is not None:
            out.append(made)
        if len(out) == MAX_PHOTOS:
            break
    return out
