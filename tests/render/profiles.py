"""A fixed synthetic lead and profile (no corpus data) and image helpers for the build tests."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from pipeline.models import BrandProfile, HoursRow, LeadInput, LogoAsset, Palette, Photo, ServiceItem, Testimonial

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


def scene_photo(size: tuple[int, int] = (1600, 1000), hue: int = 0) -> bytes:
    """A deterministic photo-like JPEG: a sky gradient, a ground band and a few shapes."""
    w, h = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(h):
        draw.line((0, y, w, y), fill=((90 + hue + y * 80 // h) % 256, 140 + y * 60 // h, 200 - y * 90 // h))
    draw.rectangle((0, h * 2 // 3, w, h), fill=(70, 110 + hue % 60, 60))
    for i in range(5):
        x = w * (i + 1) // 7
        draw.ellipse((x, h // 3, x + w // 9, h // 3 + w // 9), fill=((200 + 11 * i + hue) % 256, 120, 40 + 30 * i))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def photo(data: bytes, alt: str = "", size: tuple[int, int] = (1600, 1000)) -> Photo:
    """A photo as the scraper hands it over."""
    return Photo(
        media_type="image/jpeg", data_b64=base64.b64encode(data).decode(), alt=alt, width=size[0], height=size[1]
    )


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
        "photos": [
            photo(scene_photo((960, 600)), "Our treatment room overlooking the harbour", (960, 600)),
            photo(scene_photo((640, 480), 40), "The team at the front desk", (640, 480)),
            photo(scene_photo((640, 480), 90), "", (640, 480)),
        ],
        "service_items": [
            ServiceItem(title="Check-ups and hygiene", description="A thorough check and a clean, twice a year."),
            ServiceItem(title="Whitening", description="Gentle in-chair or take-home whitening."),
            ServiceItem(title="Implants", description="Permanent replacements for missing teeth."),
            ServiceItem(title="Emergency appointments", description="Same-day care when something hurts."),
        ],
        "hours": [
            HoursRow(days="Monday-Friday", times="08:00–18:00", codes=["Mo", "Tu", "We", "Th", "Fr"]),
            HoursRow(days="Saturday", times="09:00–13:00", codes=["Sa"]),
        ],
        "testimonials": [
            Testimonial(quote="The kindest dentist I have ever been to.", author="Maria K."),
            Testimonial(quote="They fitted me in the same afternoon. Thank you!", author="Tom"),
        ],
    }
    values.update(overrides)
    return BrandProfile(**values)  # type: ignore[arg-type]


def files_of(bundle_files: dict[str, str]) -> dict[str, bytes]:
    """A bundle's files decoded."""
    return {path: base64.b64decode(data) for path, data in bundle_files.items()}
