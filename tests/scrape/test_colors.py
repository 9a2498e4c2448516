"""The static colour parser on the CSS that fooled it on unseen sites: brand colours in custom
properties (as channels, behind fallbacks, overridden for dark mode) and a framework's default palette
bundled into the site's own stylesheet."""

from __future__ import annotations

from pathlib import Path

from pipeline.scrape.colors import brand_colors
from pipeline.scrape.colorvalue import delta_e
from pipeline.scrape.page import Page, Sheet, Site
from tests.scrape.helpers import page, scrape_url, settings, write_site
from tests.support.servers import serve_directory


def primary_of(css: str, body: str = "<p>x</p>") -> str | None:
    home = Page.parse("http://127.0.0.1/", page(body=body).encode())
    site = Site(origin="http://127.0.0.1/", pages=[home], sheets=[Sheet(url="http://127.0.0.1/css/main.css", text=css)])
    return brand_colors(site).primary


def close(a: str | None, b: str) -> bool:
    return a is not None and delta_e(a, b) <= 3


def test_a_colour_given_as_channels_in_a_custom_property_is_resolved() -> None:
    css = ":root { --brand-rgb: 156, 43, 58 } .btn { background: rgb(var(--brand-rgb)) } a { color: #333 }"
    assert close(primary_of(css), "#9c2b3a")


def test_hsl_channels_and_nested_fallbacks_are_resolved() -> None:
    css = (
        ":root { --primary: 14 80% 45% } .navbar { background: hsl(var(--primary)) }"
        " .btn { background: var(--accent, var(--primary-hex, #cf4a17)) }"
    )
    assert close(primary_of(css), "#cf4a17")


def test_a_dark_mode_override_of_the_brand_variable_is_not_the_brand() -> None:
    css = (
        ":root { --color-primary: #7c9b39 } [data-theme=dark] { --color-primary: #1d4ed8 }"
        " .dark-mode { --color-primary: #1d4ed8 } .btn { background: var(--color-primary) }"
        " header { background: var(--color-primary) }"
    )
    assert close(primary_of(css), "#7c9b39")


def test_a_bootstrap_default_palette_bundled_in_the_sites_own_css_is_noise() -> None:
    bundled = (
        ".btn-primary { background-color: #0d6efd; border-color: #0d6efd } a { color: #0d6efd }"
        " .btn-success { background: #198754 } .btn-danger { background: #dc3545 } .text-primary { color: #0d6efd }"
    ) * 20
    own = ".site-header { background: #2f6b4f } .menu a { color: #2f6b4f } .cta { background: #2f6b4f }"
    assert close(primary_of(bundled + own), "#2f6b4f")


def test_a_site_that_kept_the_framework_blue_still_gets_it() -> None:
    css = ".btn-primary { background-color: #0d6efd } a { color: #0d6efd } body { color: #212529 }"
    assert close(primary_of(css), "#0d6efd")


def test_a_theme_linked_after_more_vendor_sheets_than_the_cap_is_still_read(tmp_path: Path) -> None:
    # A Colorlib-style template links a dozen plugin stylesheets first and its own theme last; the
    # theme, not the date picker's yellow, holds the brand.
    vendors = [
        "animate",
        "owl.carousel.min",
        "magnific-popup",
        "aos",
        "ionicons.min",
        "bootstrap-datepicker",
        "jquery.timepicker",
        "flaticon",
        "icomoon",
        "open-iconic-bootstrap.min",
    ]
    files: dict[str, str | bytes] = {
        f"css/{v}.css": f".x-{i} td.today {{ background: #fdf59a }}" for i, v in enumerate(vendors)
    }
    files["css/style.css"] = "a, .btn-primary, h2 { color: #c49b63 } .btn-primary { background: #c49b63 }"
    links = "".join(f'<link rel="stylesheet" href="css/{v}.css">' for v in [*vendors, "style"])
    files["index.html"] = page(head=links, body='<h2>Menu</h2><a class="btn-primary" href="/menu">Order</a>')
    with serve_directory(write_site(tmp_path, files)) as url:
        profile = scrape_url(url, settings(scrape_max_stylesheets=4))
    assert close(profile.palette.primary, "#c49b63"), profile.palette
