"""A fixed synthetic lead and profile (no corpus data) and image helpers for the build tests."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette

KEY = "0123456789abcdef"
LEAD = LeadInput(
    company="Harbour Light Dental & Co",
    website="https://harbour-light.example.com/",
    email="hello@harbour-light.example.com",
    phone="+44 20 7946 0000",
    city="Bristol",
    country="UK",
)


def png_logo(size: tuple[int, int] = (600, 240), exif: bytes | None = None, fmt: str = "PNG") -> bytes:
    """A deterministic flat logo: two shapes on transparent (or white for JPEG) ground."""
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    im = Image.new(mode, size, (255, 255, 255) if mode == "RGB" else (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    w, h = size
    draw.ellipse((w // 20, h // 10, w // 20 + h * 8 // 10, h * 9 // 10), fill=(20, 90, 160))
    draw.rectangle((w // 2, h // 3, w * 9 // 10, h * 2 // 3), fill=(230, 120, 30))
    buf = io.BytesIO()
    if exif is not None:
        im.save(buf, fmt, exif=exif)
    else:
        im.save(buf, fmt)
    return buf.getvalue()


def noisy_photo(size: tuple[int, int]) -> bytes:
    """A photo-like image that compresses badly (random noise, fixed seed)."""
    import random

    rng = random.Random(42)
    im = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def logo_asset(data: bytes, media_type: str = "image/png") -> LogoAsset:
    """Bytes as the scraper hands them over."""
    return LogoAsset(media_type=media_type, data_b64=base64.b64encode(data).decode(), source="header-img")


def profile(**overrides: object) -> BrandProfile:
    """The fixed profile used by golden snapshots and most build tests."""
    values: dict[str, object] = {
        "name": "Harbour Light Dental",
        "website": "https://harbour-light.example.com/",
        "tagline": "Gentle dentistry by the water since 1998",
        "logo": logo_asset(png_logo()),
        "palette": Palette(primary="#1c6e8c", secondary="#f2a541", colors=["#1c6e8c", "#f2a541"]),
        "phone": "+44 (0)20 7946 0000",
        "email": "hello@harbour-light.example.com",
        "address": "12 Quay Street, Bristol BS1 4DJ",
        "social": ["https://www.facebook.com/harbourlight", "https://instagram.com/harbourlight"],
        "language": "en",
        "paragraphs": [
            "We are a family practice on the harbourside, looking after smiles for over twenty years.",
            "Nervous patients are welcome: we take our time, explain everything and never rush.",
        ],
        "services": ["Check-ups and hygiene", "Whitening", "Implants", "Emergency appointments"],
        "category": "dentist",
    }
    values.update(overrides)
    return BrandProfile(**values)  # type: ignore[arg-type]


def files_of(bundle_files: dict[str, str]) -> dict[str, bytes]:
    """A bundle's files decoded."""
    return {path: base64.b64decode(data) for path, data in bundle_files.items()}
