"""The brand profile: what the scrape stage learned about a business (its output), and its parts.

Re-exported by `pipeline.models`, with the other typed data of the pipeline.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class LogoAsset(BaseModel):
    """A logo ready to embed: bytes (base64) already re-encoded or sanitised by the scraper."""

    media_type: str
    data_b64: str
    source: str = Field(description="Where it came from: header-img, inline-svg, og:image, monogram, ...")
    url: str | None = None
    width: int | None = None
    height: int | None = None
    sha256: str | None = Field(None, description="Hash of the stored bytes (after re-encoding/sanitising).")


class Palette(BaseModel):
    """Brand colours as `#rrggbb`."""

    primary: str = "#1f4e79"
    secondary: str | None = None
    colors: list[str] = Field(default_factory=list)


class Photo(BaseModel):
    """A photo of the business from its own site, re-encoded by the scraper (WebP, size-capped)."""

    media_type: str = "image/webp"
    data_b64: str
    alt: str = Field("", description="The page's own alt text (or caption); empty when it gave none.")
    url: str | None = None
    width: int
    height: int
    sha256: str | None = None


class ServiceItem(BaseModel):
    """One service as the site names it, with its description when the site gives one."""

    title: str
    description: str = ""


class HoursRow(BaseModel):
    """One line of opening hours: days and times as found (`days` day codes Mo..Su when known)."""

    days: str
    times: str
    codes: list[str] = Field(default_factory=list, description="Day codes Mo Tu We Th Fr Sa Su, for translation.")


class Testimonial(BaseModel):
    """A customer's words quoted on the business's own site."""

    quote: str
    author: str = ""


class BrandProfile(BaseModel):
    """What the scrape stage learned about a business; `degraded` lists every fallback that fired."""

    name: str
    website: str
    tagline: str | None = None
    logo: LogoAsset | None = None
    palette: Palette = Field(default_factory=Palette)
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    social: list[str] = Field(default_factory=list)
    language: str | None = None
    paragraphs: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    category: str | None = None
    photos: list[Photo] = Field(default_factory=list, description="The business's own photos, best first.")
    service_items: list[ServiceItem] = Field(default_factory=list, description="Services with descriptions.")
    hours: list[HoursRow] = Field(default_factory=list)
    testimonials: list[Testimonial] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict, description="field → where it came from")
    degraded: list[str] = Field(default_factory=list)
    pages_fetched: list[str] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="Non-fatal problems met while scraping (a page or asset that failed)."
    )
