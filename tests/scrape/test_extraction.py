"""Each extraction source on a small site served from 127.0.0.1 by a real HTTP server."""

from __future__ import annotations

import base64
import functools
import io
import json
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image

from pipeline.scrape.colorvalue import delta_e
from tests.scrape.helpers import page, scrape_url, served_site, settings, write_site
from tests.support.servers import serve


def png(color: str = "#2a6f97", size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def close(a: str, b: str) -> bool:
    return delta_e(a, b) <= 3


# --- name ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body", "source"),
    [
        ('<meta property="og:site_name" content="Blue Harbour Bakery">', "", "og:site_name"),
        (
            '<script type="application/ld+json">{"@type": "Bakery", "name": "Blue Harbour Bakery"}</script>',
            "",
            "json-ld",
        ),
        (
            "",
            '<div itemscope itemtype="https://schema.org/LocalBusiness"><h2>Welcome to <span itemprop="name">'
            "Blue Harbour Bakery</span>!</h2></div>",
            "microdata",
        ),
        ("<title>Blue Harbour Bakery | Fresh bread in Portsmouth</title>", "", "title segment"),
    ],
)
def test_the_business_name_comes_from_each_place_a_site_states_it(
    tmp_path: Path, head: str, body: str, source: str
) -> None:
    html = page(head=head + "<title>Home</title>" if "<title>" not in head else head, body=body)
    with served_site(tmp_path, {"index.html": html}) as url:
        profile = scrape_url(url)
    assert profile.name == "Blue Harbour Bakery"
    assert profile.sources["name"] == source


def test_without_any_name_on_the_site_the_csv_company_is_used_and_flagged(tmp_path: Path) -> None:
    with served_site(tmp_path, {"index.html": page(body="<p>hello</p>")}) as url:
        profile = scrape_url(url)
    assert profile.name == "Acme Bakery" and profile.sources["name"] == "csv"
    assert any(flag.startswith("name:") for flag in profile.degraded)


# --- logo ------------------------------------------------------------------------------------

LOGO_SVG = (
    '<svg viewBox="0 0 80 40"><linearGradient id="g"><stop offset="0" stop-color="#2a6f97"/></linearGradient>'
    '<rect width="80" height="40" fill="url(#g)"/></svg>'
)


@pytest.mark.parametrize(
    ("files", "source", "path"),
    [
        (
            {
                "index.html": page(
                    body='<header><a href="/"><img src="/img/brand.png" alt="Acme Bakery logo"></a></header>'
                )
            },
            "header img[logo]",
            "/img/brand.png",
        ),
        (
            {"index.html": page(body=f'<header><a class="logo" href="/">{LOGO_SVG}</a></header>')},
            "inline-svg",
            None,
        ),
        (
            {
                "index.html": page(
                    head='<link rel="stylesheet" href="/site.css">', body='<h1 class="logo"><a href="/"></a></h1>'
                ),
                "site.css": ".logo a { display:block; background: url('img/brand.png') no-repeat; }",
            },
            "css-background",
            "/img/brand.png",
        ),
        (
            {
                "index.html": page(
                    head='<link rel="stylesheet" href="/site.css">', body='<div class="jumbotron"></div><h2>Hallo</h2>'
                ),
                "site.css": ".jumbotron { height: 174px; background-image: url('img/logo.png') }"
                ".hero { background: url('img/logo-bg.jpg') }",
                "img/logo-bg.jpg": b"",
                "img/logo.png": png(),
            },
            "css-background",
            "/img/logo.png",
        ),
        (
            {
                "index.html": page(
                    head='<script type="application/ld+json">{"@type": "Organization", "name": "Acme", '
                    '"logo": "https://acme-bakery.example.com/img/brand.png"}</script>'
                    '<link rel="canonical" href="https://acme-bakery.example.com/">'
                )
            },
            "schema.org logo",
            "/img/brand.png",
        ),
        (
            {"index.html": page(head='<meta property="og:image" content="/img/brand.png">')},
            "og:image",
            "/img/brand.png",
        ),
        (
            {"index.html": page(head='<link rel="apple-touch-icon" sizes="180x180" href="/img/brand.png">')},
            "apple-touch-icon",
            "/img/brand.png",
        ),
        ({"index.html": page(head='<link rel="icon" href="/img/brand.png">')}, "favicon", "/img/brand.png"),
    ],
)
def test_the_logo_comes_from_each_kind_of_source(
    tmp_path: Path, files: dict[str, str | bytes], source: str, path: str | None
) -> None:
    files = {**files, "img/brand.png": png()}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None
    assert profile.logo.source == source
    if path is None:
        assert profile.logo.media_type == "image/svg+xml" and profile.logo.url is None
        stored = base64.b64decode(profile.logo.data_b64).decode()
        assert 'viewBox="0 0 80 40"' in stored and "linearGradient" in stored  # SVG spelling restored
    else:
        assert profile.logo.url == url.rstrip("/") + path
        assert profile.logo.media_type == "image/png" and profile.logo.sha256


def test_a_header_logo_beats_icons_and_content_photos(tmp_path: Path) -> None:
    files = {
        "index.html": page(
            head='<link rel="icon" href="/favicon.png"><meta property="og:image" content="/photo.png">',
            body='<header><nav><a href="/"><img src="/logo-acme.png" alt="Acme Bakery"></a></nav></header>'
            '<main><img src="/photo.png" alt="our shop"><img src="/bus-logo.png" width="16" height="16"></main>',
        ),
        "favicon.png": png(size=(32, 32)),
        "photo.png": png(size=(400, 300)),
        "logo-acme.png": png(),
        "bus-logo.png": png(size=(16, 16)),
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.url == url + "logo-acme.png"


def test_a_site_without_a_logo_gets_a_monogram_flagged_degraded(tmp_path: Path) -> None:
    files = {
        "index.html": page(head="<title>Acme Bakery</title>", body='<main><img src="/photo.jpg" alt="bread"></main>')
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.source == "monogram"
    assert any(flag.startswith("logo:") for flag in profile.degraded)


@pytest.mark.parametrize(
    ("head", "body", "image", "size"),
    [
        (  # a dentist's header spells the name in text; the page's one picture is her portrait, with
            # the name as its alt, and it is the og:image too: the demo gets a monogram, not her face
            '<meta property="og:image" content="/acme.png">',
            '<header><a href="#" class="site-brand"><span class="brand-name">Acme Bakery</span></a></header>'
            '<main><img src="/acme.png" alt="Acme Bakery" class="owner-photo" width="400" height="533"></main>',
            "acme.png",
            (400, 533),
        ),
        (  # a dentist's footer shows the dental association's member logo, linked to the association
            "<title>Acme Bakery</title>",
            '<main><p>Fresh bread</p></main><footer><a href="https://www.bakers-guild.example/">'
            '<img src="/guild_member_logo.jpg"></a></footer>',
            "guild_member_logo.jpg",
            (300, 200),
        ),
        (  # a barber's portrait of his shop, named and described after the business
            "<title>Acme Bakery</title>",
            '<section class="hero"><h1>Acme Bakery</h1></section><section id="about"><div class="about-img">'
            '<img src="acme-bakery-foto.JPG" alt="Acme Bakery"></div></section>',
            "acme-bakery-foto.JPG",
            (300, 200),
        ),
    ],
    ids=[
        "a-portrait-under-a-text-wordmark",
        "a-badge-linking-to-its-owners-site",
        "a-photo-in-the-content-named-after-the-business",
    ],
)
def test_a_portrait_a_badge_or_a_photo_is_no_logo(
    tmp_path: Path, head: str, body: str, image: str, size: tuple[int, int]
) -> None:
    files = {"index.html": page(head=head, body=body), image: png(size=size)}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.source == "monogram", profile.logo.url


def test_a_logo_that_answers_404_falls_back_to_the_next_candidate(tmp_path: Path) -> None:
    files = {
        "index.html": page(
            head='<link rel="icon" href="/icon.png">', body='<header><img class="logo" src="/missing.png"></header>'
        ),
        "icon.png": png(size=(64, 64)),
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.logo is not None and profile.logo.source == "favicon"
    assert any("404" in note for note in profile.notes)


# --- colours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "css", "expected"),
    [
        ("", ":root { --brand-primary: #2a6f97; --text: #333; } a { color: var(--brand-primary); }", "#2a6f97"),
        ('<meta name="theme-color" content="#8b2c00">', "body { color: #222; background: #fff; }", "#8b2c00"),
        ("", ".btn, button { background-color: rgb(13, 148, 136); color: #fff } p { color: #444 }", "#0d9488"),
        ("", "nav a { color: hsl(330, 60%, 45%); } body { background: #fafafa }", "#b82e73"),
        (
            "",
            "header { background: linear-gradient(90deg, #7a1f2c, #9c2b3a); } .cta { background: #9c2b3a }",
            "#9c2b3a",
        ),
    ],
)
def test_brand_colours_come_from_variables_theme_color_buttons_links_and_header(
    tmp_path: Path, head: str, css: str, expected: str
) -> None:
    files = {
        "index.html": page(head=head + '<link rel="stylesheet" href="/css/site.css">', body="<p>x</p>"),
        "css/site.css": css,
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert close(profile.palette.primary, expected), profile.palette


def test_inline_styles_count_and_greys_do_not_win_over_a_brand_colour(tmp_path: Path) -> None:
    css = "body { color: #333; background: #fff } .box { border: 1px solid #ddd } footer { background: #111 }"
    body = '<a class="btn" style="background-color:#e4b90b" href="#">Order</a><p style="color:#eee">x</p>'
    files = {"index.html": page(head="<style>" + css + "</style>", body=body)}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert close(profile.palette.primary, "#e4b90b")


def test_framework_stylesheets_count_for_little(tmp_path: Path) -> None:
    framework = ".btn-primary { background: #0d6efd } a { color: #0d6efd } .nav-link { color: #0d6efd }" * 30
    files = {
        "index.html": page(
            head='<link rel="stylesheet" href="/vendor/bootstrap.min.css"><link rel="stylesheet" href="/style.css">'
        ),
        "vendor/bootstrap.min.css": framework,
        "style.css": ".site-header { background: #7c9b39 } a { color: #7c9b39 }",
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert close(profile.palette.primary, "#7c9b39")


def test_a_monochrome_brand_gets_black(tmp_path: Path) -> None:
    css = (
        ":root { --primary-color: #000000; --secondary-color: #ffffff } .navbar { background: var(--primary-color) }"
        " .btn-primary { background: var(--primary-color) } .whatsapp-btn { background: #25d366 }"
    )
    files = {"index.html": page(head=f"<style>{css}</style>")}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.palette.primary == "#000000" and profile.sources["palette"] == "monochrome"


def test_a_site_without_colours_gets_the_default_palette_flagged(tmp_path: Path) -> None:
    with served_site(tmp_path, {"index.html": page(head="<style>body{color:#222}</style>")}) as url:
        profile = scrape_url(url)
    assert profile.sources["palette"] == "default"
    assert any(flag.startswith("palette:") for flag in profile.degraded)


def test_print_and_high_contrast_overrides_are_not_the_brand(tmp_path: Path) -> None:
    css = (
        ":root { --primary: #8b2c00 } a { color: var(--primary) }"
        " @media (prefers-contrast: high) { :root { --primary: #000 } } @media print { a { color: #000 } }"
    )
    with served_site(tmp_path, {"index.html": page(head=f"<style>{css}</style>")}) as url:
        profile = scrape_url(url)
    assert profile.palette.primary == "#8b2c00"


# --- contact, social, language, copy -------------------------------------------------------


def test_contact_details_come_from_tel_and_mailto_links(tmp_path: Path) -> None:
    body = (
        '<footer><a href="tel:+441234987654">Call 01234 987654</a> <a href="mailto:hello@acme.example?subject=Hi">'
        "Write to us</a><!-- <a href='mailto:old@acme.example'>old</a> --></footer>"
    )
    with served_site(tmp_path, {"index.html": page(body=body)}) as url:
        profile = scrape_url(url)
    assert profile.phone == "01234 987654" and profile.sources["phone"] == "tel"
    assert profile.email == "hello@acme.example" and profile.sources["email"] == "mailto"


def test_contact_details_come_from_json_ld(tmp_path: Path) -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "Dentist",
        "name": "Praxis Roth",
        "telephone": "+49 7139 452176",
        "email": "info@praxis.example",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "Hauptstr. 10",
            "postalCode": "74196",
            "addressLocality": "Neuenstadt",
        },
    }
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    with served_site(tmp_path, {"index.html": page(head=head, body="<p>Telefon: 07139 452176</p>")}) as url:
        profile = scrape_url(url)
    assert profile.phone == "07139 452176" and profile.sources["phone"] == "json-ld"
    assert profile.email == "info@praxis.example"
    assert profile.address == "Hauptstr. 10, 74196 Neuenstadt"


def test_contact_details_come_from_visible_text_and_placeholders_are_ignored(tmp_path: Path) -> None:
    body = (
        '<a href="tel:+61234567890">[Your Phone Number]</a><a href="mailto:info@example.com">x</a>'
        "<p>Tel. +39 0432 740029</p><p>Scrivici: info@agriturismo.example</p>"
    )
    with served_site(tmp_path, {"index.html": page(body=body, lang="it")}) as url:
        profile = scrape_url(url)
    assert profile.phone == "+39 0432 740029" and profile.sources["phone"] == "text"
    assert profile.email == "info@agriturismo.example" and profile.sources["email"] == "text"


def test_missing_contact_details_are_filled_from_the_csv_and_flagged(tmp_path: Path) -> None:
    with served_site(tmp_path, {"index.html": page(body="<p>no contact</p>")}) as url:
        profile = scrape_url(url)
    assert profile.email == "owner@acme.example.org" and profile.sources["email"] == "csv"
    assert any(flag.startswith("email:") for flag in profile.degraded)


def test_a_contact_page_is_followed_for_details_the_home_page_lacks(tmp_path: Path) -> None:
    files = {
        "index.html": page(body='<nav><a href="/kontakt.html">Kontakt</a><a href="/shop.html">Shop</a></nav>'),
        "kontakt.html": page(body='<a href="mailto:mail@roehrig.example">mail@roehrig.example</a>'),
        "shop.html": page(body='<a href="mailto:shop@other.example">shop</a>'),
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url)
    assert profile.email == "mail@roehrig.example"
    assert profile.sources["email"] == "mailto (/kontakt.html)"
    assert profile.pages_fetched == [url, url + "kontakt.html"]


@pytest.mark.parametrize("page_name", ["kapcsolat.html", "yhteystiedot.html", "iletisim.html", "contato.html"])
def test_a_contact_page_named_in_another_language_is_followed(tmp_path: Path, page_name: str) -> None:
    files = {
        "index.html": page(body=f'<nav><a href="/galeria.html">Galéria</a><a href="/{page_name}">*</a></nav>'),
        page_name: page(body='<a href="mailto:mail@acme.example">mail@acme.example</a>'),
        "galeria.html": page(body="<p>photos</p>"),
    }
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url, settings(scrape_page_budget=2))
    assert profile.email == "mail@acme.example" and profile.sources["email"] == f"mailto (/{page_name})"


def test_social_profiles_exclude_share_buttons_placeholders_and_staff(tmp_path: Path) -> None:
    body = (
        '<footer><a href="https://www.facebook.com/acmebakery">fb</a><a href="https://instagram.com/acme.bakery/">ig</a>'
        '<a href="https://www.facebook.com/sharer/sharer.php?u=x">share</a><a href="https://twitter.com/">tw</a>'
        '<a href="#">yt</a></footer><section class="team"><a href="https://instagram.com/chef.anna">Anna</a></section>'
    )
    with served_site(tmp_path, {"index.html": page(body=body)}) as url:
        profile = scrape_url(url)
    assert profile.social == ["https://www.facebook.com/acmebakery", "https://instagram.com/acme.bakery/"]


def test_language_comes_from_the_words_not_a_wrong_lang_attribute(tmp_path: Path) -> None:
    text = (
        "<p>Wir sind eine Schreinerei und die Arbeit mit Holz ist für uns nicht nur ein Beruf,"
        " sondern die Leidenschaft bei der wir mit Ihnen planen.</p>"
    )
    with served_site(tmp_path, {"index.html": page(body=text * 2, lang="en")}) as url:
        profile = scrape_url(url)
    assert profile.language == "de" and profile.sources["language"] == "text"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Jesteśmy gabinetem w Krakowie i to jest nasza pasja, że pomagamy dla zdrowia oraz na co dzień.", "pl"),
        ("Jsme masérské studio a to je naše práce, že se staráme o vás jako o rodinu, ve městě i na venkově.", "cs"),
        ("Olemme fysioterapeutti ja meillä on aikaa sinun kanssasi, että voit hyvin ja on myös kotikäyntejä.", "fi"),
    ],
    ids=["pl", "cs", "fi"],
)
def test_languages_beyond_western_europe_come_from_the_words(tmp_path: Path, text: str, lang: str) -> None:
    with served_site(tmp_path, {"index.html": page(body=f"<p>{text}</p>" * 2, lang="en")}) as url:
        profile = scrape_url(url)
    assert profile.language == lang and profile.sources["language"] == "text"


def test_tagline_paragraphs_and_services_are_collected(tmp_path: Path) -> None:
    body = (
        '<header><h1 class="logo">Acme Bakery</h1></header>'
        '<section class="hero"><h2>Bread baked before sunrise</h2></section>'
        "<p>We have baked sourdough, rye and spelt loaves in the old town for three generations, every single day.</p>"
        '<section id="services"><h2>Our services</h2>'
        "<h3>Wedding cakes</h3><h3>Catering</h3><h3>Baking classes</h3></section>"
    )
    with served_site(tmp_path, {"index.html": page(head="<title>Acme Bakery</title>", body=body)}) as url:
        profile = scrape_url(url)
    assert profile.tagline == "Bread baked before sunrise"
    assert profile.paragraphs and profile.paragraphs[0].startswith("We have baked sourdough")
    assert profile.services == ["Wedding cakes", "Catering", "Baking classes"]


def test_same_site_absolute_urls_are_read_from_the_served_origin_and_other_hosts_never_fetched(tmp_path: Path) -> None:
    head = (
        '<link rel="canonical" href="https://www.acme-bakery.example.com/">'
        '<link rel="stylesheet" href="https://cdn.example.net/framework.css">'
        '<link rel="stylesheet" href="https://acme-bakery.example.com/css/site.css">'
        '<meta property="og:image" content="https://www.acme-bakery.example.com/img/logo.png">'
    )
    files = {"index.html": page(head=head), "css/site.css": ":root { --primary: #2a6f97 }", "img/logo.png": png()}
    with served_site(tmp_path, files) as url:
        profile = scrape_url(url, settings(scrape_offsite_assets=False))
    assert close(profile.palette.primary, "#2a6f97")
    assert profile.logo is not None and profile.logo.url == url + "img/logo.png"


def test_an_address_on_two_lines_of_visible_text_is_joined(tmp_path: Path) -> None:
    body = (
        "<section id='contact'><p>Cabinet</p><p>7 rue Coëtlogon</p><p>75006 Paris</p>"
        "<p>Tél. 07 67 72 39 94</p></section>"
    )
    with served_site(tmp_path, {"index.html": page(body=body, lang="fr")}) as url:
        profile = scrape_url(url)
    assert profile.address == "7 rue Coëtlogon, 75006 Paris" and profile.sources["address"] == "text"
    assert profile.phone == "07 67 72 39 94"


def test_an_email_hidden_by_cloudflare_obfuscation_is_decoded(tmp_path: Path) -> None:
    key = 0x42
    encoded = f"{key:02x}" + bytes(b ^ key for b in b"info@acme.example").hex()
    body = f'<a href="/cdn-cgi/l/email-protection#{encoded}">[email&#160;protected]</a>'
    with served_site(tmp_path, {"index.html": page(body=body)}) as url:
        profile = scrape_url(url)
    assert profile.email == "info@acme.example" and profile.sources["email"] == "obfuscated"


def test_opening_hours_and_dates_are_not_taken_for_a_phone_number(tmp_path: Path) -> None:
    body = "<p>Mo-Fr 08.00 - 12.00 und 14.00 - 18.00</p><p>Seit 01.05.2019</p><p>USt-ID DE 123 456 789</p>"
    with served_site(tmp_path, {"index.html": page(body=body, lang="de")}) as url:
        profile = scrape_url(url)
    assert profile.sources.get("phone") != "text" and profile.phone is None


def test_a_generic_page_title_is_not_taken_for_the_name(tmp_path: Path) -> None:
    html = page(
        head="<title>Home</title>", body='<header><a class="navbar-brand" href="/">Blue Harbour Bakery</a></header>'
    )
    with served_site(tmp_path, {"index.html": html}) as url:
        profile = scrape_url(url)
    assert profile.name == "Blue Harbour Bakery"


def test_an_asset_redirecting_off_the_site_is_not_followed_when_off_site_assets_are_off(tmp_path: Path) -> None:
    seen: list[str] = []

    class Redirecting(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path == "/logo.png":
                port = self.server.server_address[1]
                self.send_response(302)
                self.send_header("Location", f"http://localhost:{port}/elsewhere-logo.png")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    root = write_site(
        tmp_path,
        {
            "index.html": page(body='<header><img class="logo" src="/logo.png" alt="Acme Bakery"></header>'),
            "elsewhere-logo.png": png(),
        },
    )
    with serve(functools.partial(Redirecting, directory=str(root))) as url:
        profile = scrape_url(url, settings(scrape_offsite_assets=False))
    assert "/elsewhere-logo.png" not in seen
    assert profile.logo is not None and profile.logo.source == "monogram"
    assert any("redirects off the site" in note for note in profile.notes)
