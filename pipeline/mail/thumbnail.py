"""The preview thumbnail in the email: the QA stage's screenshot of the deployed site (desktop view
first; the gate report names the Redis key of each view's image), decoded under the pixel cap,
cropped to the top of the page and shrunk to a small JPEG. No screenshot (or an unusable or expired
one), no thumbnail: the email never invents a picture."""

from __future__ import annotations

import io

import redis
from PIL import Image

from pipeline.mail.compose import Thumbnail
from pipeline.media import UnsafeAsset
from pipeline.media.raster import decode
from pipeline.models import GateReport

WIDTH_PX = 600
MAX_HEIGHT_PX = 400
VIEWS = ("desktop", "mobile")


def from_report(conn: redis.Redis, report: GateReport | None, max_pixels: int) -> Thumbnail | None:
    """A JPEG thumbnail of the report's first usable screenshot, or None."""
    if report is None:
        return None
    for view in VIEWS:
        key = report.screenshots.get(view)
        data = conn.get(key) if key else None
        if not isinstance(data, bytes):
            continue
        try:
            image = decode(data, max_pixels=max_pixels)
        except UnsafeAsset:
            continue
        return Thumbnail(_jpeg(image), "jpeg")
    return None


def _jpeg(image: Image.Image) -> bytes:
    scale = WIDTH_PX / image.width if image.width > WIDTH_PX else 1.0
    height = min(round(image.height * scale), MAX_HEIGHT_PX)
    resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    top = resized.crop((0, 0, resized.width, height))  # the top of the page: header, name, hero
    flat = Image.new("RGB", top.size, "white")
    flat.paste(top, mask=top.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="JPEG", quality=72, optimize=True)
    return out.getvalue()
