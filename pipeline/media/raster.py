"""The one raster decoder: every logo or photo pixel the pipeline touches is decoded here, under a
pixel cap checked from the header before any pixel is decoded (Pillow's own bomb warning is an
error too), first frame only, turned upright, copied into a fresh image so no metadata (EXIF, ICC,
text chunks) survives."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.media import UnsafeAsset

RASTER_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "ICO")
MIN_SIDE_PX = 8  # thinner than this is a rule or a spacer, not a logo
MIN_LONG_SIDE_PX = 32  # a 16 px favicon makes a worse logo than a generated monogram


def decode(data: bytes, *, max_pixels: int, draft_px: int | None = None) -> Image.Image:
    """A clean RGBA copy of the first frame; raises `UnsafeAsset` when undecodable or over the cap.
    `draft_px` lets a JPEG decode at a reduced scale when only that size is needed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=RASTER_FORMATS) as im:
                width, height = im.size  # from the header: nothing decoded yet
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise UnsafeAsset(f"image of {width}x{height} pixels is over the cap of {max_pixels}")
                im.seek(0)
                if draft_px:
                    im.draft("RGBA", (draft_px, draft_px))
                upright = ImageOps.exif_transpose(im.convert("RGBA") if im.mode == "P" else im)
                rgba = upright.convert("RGBA")
    except UnsafeAsset:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnsafeAsset(f"image refused as a decompression bomb: {exc}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Warning) as exc:
        raise UnsafeAsset(f"not a decodable image: {exc}") from None
    return Image.frombytes("RGBA", rgba.size, rgba.tobytes())


def logo_png(data: bytes, *, max_pixels: int, max_side_px: int) -> tuple[bytes, int, int]:
    """A logo made safe to store: decoded under the cap, refused when too small to be a logo,
    shrunk to `max_side_px` and re-encoded as PNG. Returns (PNG bytes, width, height)."""
    im = decode(data, max_pixels=max_pixels, draft_px=max_side_px)
    if min(im.size) < MIN_SIDE_PX or max(im.size) < MIN_LONG_SIDE_PX:
        raise UnsafeAsset(f"image of {im.width}x{im.height} pixels is too small for a logo")
    im.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, format="PNG", optimize=True)
    return out.getvalue(), im.width, im.height


def photo_webp(data: bytes, *, max_pixels: int, max_side_px: int, quality: int) -> tuple[bytes, int, int]:
    """A photo made safe to store: decoded under the cap, flattened on white (photos need no
    alpha), shrunk to `max_side_px` and re-encoded as lossy WebP. Returns (bytes, width, height)."""
    im = decode(data, max_pixels=max_pixels, draft_px=max_side_px)
    im.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", im.size, (255, 255, 255))
    flat.paste(im, mask=im.getchannel("A"))
    out = io.BytesIO()
    flat.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue(), flat.width, flat.height
