"""Raster logos made safe to store: decoded under a pixel cap (no decompression bombs), reduced to
a sensible size and re-encoded as PNG, so nothing but pixels survives from the original file."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from pipeline.errors import PermanentError

MIN_SIDE_PX = 8  # thinner than this is a rule or a spacer, not a logo
MIN_LONG_SIDE_PX = 32  # a 16 px favicon makes a worse logo than a generated monogram


class ImageRejected(PermanentError):
    """The bytes are not an image we accept as a logo (undecodable, a bomb, a tracking pixel)."""


def reencode(data: bytes, *, max_pixels: int, max_side_px: int) -> tuple[bytes, int, int]:
    """Decode `data`, refuse more than `max_pixels` before decoding the pixels, shrink to
    `max_side_px` and return (PNG bytes, width, height)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size  # from the header: nothing decoded yet
                if width * height > max_pixels:
                    raise ImageRejected(f"image of {width}x{height} pixels is over the cap of {max_pixels}")
                if min(width, height) < MIN_SIDE_PX or max(width, height) < MIN_LONG_SIDE_PX:
                    raise ImageRejected(f"image of {width}x{height} pixels is too small for a logo")
                img.draft("RGBA", (max_side_px, max_side_px))  # JPEG: decode at a reduced scale
                img.load()
                frame = (
                    img.convert("RGBA")
                    if img.mode in ("P", "LA", "PA", "RGBA", "La") or "transparency" in img.info
                    else img.convert("RGB")
                )
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"image refused as a decompression bomb: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected(f"not a decodable image: {exc}") from exc
    frame.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return out.getvalue(), frame.width, frame.height
