"""The pure core: a crawled `Site` (and the CSV row) → `BrandProfile` without the logo bytes, plus
the logo candidates to download. Every field records its source; every fallback is in `degraded`."""

from __future__ import annotations

from pipeline.models import BrandProfile, LeadInput, Palette
from pipeline.scrape import colors, contact, copy, hours, logo, names, services, tagline, testimonials, visual
from pipeline.scrape.fallback import DEFAULT_PALETTE
from pipeline.scrape.page import Site


def extract_brand(
    site: Site, lead: LeadInput, seen: visual.Seen | None = None
) -> tuple[BrandProfile, list[logo.Candidate]]:
    """Everything the pages and stylesheets say about the brand; with `seen` (the rendered home
    page), colours and the logo's place come from what a visitor sees, the static parser filling in."""
    home = site.home
    sources: dict[str, str] = {}
    degraded: list[str] = []

    found_name = names.best_name(home)
    if found_name:
        name, sources["name"] = found_name
    else:
        name, sources["name"] = names.csv_name(lead.company, lead.website), "csv"
        degraded.append("name: not found on the site, CSV company used")

    if seen is not None:  # rules that style nothing on the page are discounted, not the rest scaled up
        peak = max(colors.collect(site).weight.values(), default=0.0)
        brand = visual.brand_colors(seen, colors.collect(site, seen.shown), peak)
    else:
        brand = colors.brand_colors(site)
    if not brand.primary and seen is not None:
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
    slogan, sources["tagline"] = tagline.tagline(home, name)
    opening, sources["hours"] = hours.opening_hours(site.pages)
    profile = BrandProfile(
        name=name,
        website=lead.website,
        tagline=slogan,
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
    candidates = logo.candidates(site, name)
    if seen is not None:
        candidates = visual.promote_logos(candidates, visual.logo_boxes(seen, name), site)
    return profile, candidates
