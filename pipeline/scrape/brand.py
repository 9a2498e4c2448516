"""The pure core: a crawled `Site` (and the CSV row) → `BrandProfile` without the logo bytes, plus
the logo candidates to download. Every field records its source; every fallback is in `degraded`."""

from __future__ import annotations

from pipeline.models import BrandProfile, LeadInput, Palette
from pipeline.scrape import colors, contact, copy, hours, logo, names, services, testimonials
from pipeline.scrape.fallback import DEFAULT_PALETTE
from pipeline.scrape.page import Site


def extract_brand(site: Site, lead: LeadInput) -> tuple[BrandProfile, list[logo.Candidate]]:
    """Everything the pages and stylesheets say about the brand."""
    home = site.home
    sources: dict[str, str] = {}
    degraded: list[str] = []

    found_name = names.best_name(home)
    if found_name:
        name, sources["name"] = found_name
    else:
        name, sources["name"] = names.csv_name(lead.company, lead.website), "csv"
        degraded.append("name: not found on the site, CSV company used")

    brand = colors.brand_colors(site)
    if brand.primary:
        palette = Palette(primary=brand.primary, secondary=brand.secondary, colors=brand.palette)
        sources["palette"] = brand.source
    else:
        palette = DEFAULT_PALETTE
        sources["palette"] = "default"
        degraded.append("palette: no brand colour found, default palette used")

    info = contact.extract_contact(site.pages)
    sources.update(info.sources)
    phone, email = info.phone, info.email
    if phone is None and lead.phone:
        phone, sources["phone"] = lead.phone, "csv"
        degraded.append("phone: not found on the site, CSV phone used")
    if email is None:
        email, sources["email"] = lead.email, "csv"
        degraded.append("email: not found on the site, CSV email used")

    lang, sources["language"] = copy.language(home)
    tagline, sources["tagline"] = copy.tagline(home, name)
    opening, sources["hours"] = hours.opening_hours(site.pages)
    profile = BrandProfile(
        name=name,
        website=lead.website,
        tagline=tagline,
        palette=palette,
        phone=phone,
        email=email,
        address=info.address,
        social=info.social,
        language=lang,
        paragraphs=copy.paragraphs(site.pages),
        services=copy.services(home),
        service_items=services.described_services(home),
        hours=opening,
        testimonials=testimonials.testimonials(site.pages),
        sources=sources,
        degraded=degraded,
        pages_fetched=[page.url for page in site.pages],
    )
    return profile, logo.candidates(site, name)
