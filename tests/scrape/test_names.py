"""Names from hostile places: control, bidi, zero-width and ANSI characters, markup, template syntax
and titles far too long for a name. The name is cleaned once, at the source."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.scrape.fallback import fallback_profile
from pipeline.scrape.names import best_name, clean_name
from pipeline.scrape.page import Page
from tests.scrape.helpers import lead, page, scrape_url, served_site

NAME = "Blue Harbour Bakery"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\u202d\u2066\u2069\u200f\u061c\x07\x1b\x7f\x85"


def name_of(head: str, body: str = "") -> str | None:
    found = best_name(Page.parse("http://127.0.0.1/", page(head=head, body=body).encode()))
    return found[0] if found else None


@pytest.mark.parametrize(
    "dirty",
    [
        "Blue\u200b Harbour\u200d Bakery",
        "\u202eBlue Harbour Bakery\u202c",
        "\u2066Blue Harbour\u2069 Bakery\u200f",
        "\x1b[31;1mBlue Harbour Bakery\x1b[0m",
        "\x1b]0;pwned\x07Blue Harbour Bakery",
        "\x9b2JBlue Harbour Bakery",
        "Blue\x00 Harbour\x08 Bakery\x7f",
        "\ufeffBlue Har\u00adbour Bakery",
        "Blue Harbour <b>Bakery</b>",
        "<script>alert(1)</script>Blue Harbour Bakery",
        "Blue Harbour Bakery{{ site.suffix }}",
        "{% if x %}Blue Harbour Bakery{% endif %}",
        "Blue Harbour Bakery ${title}",
        "<?php echo $name; ?>Blue Harbour Bakery",
        "Blue\tHarbour\nBakery",
        "Blue Harbour Bakery\U000e0041\U000e0042",
    ],
)
def test_clean_name_strips_controls_bidi_zero_width_ansi_markup_and_templates(dirty: str) -> None:
    cleaned = clean_name(dirty)
    assert cleaned == NAME
    assert clean_name(cleaned) == cleaned  # once is enough: every later stage sees the same text
    assert not any(unicodedata.category(ch).startswith("C") for ch in cleaned)


@pytest.mark.parametrize(
    "head",
    [
        # markup and template syntax inside the title (as text: <title> is raw text)
        f"<title>&lt;b&gt;{NAME}&lt;/b&gt; | {{{{ page.tagline }}}} | Fresh bread in Portsmouth</title>",
        f"<title>{{% block title %}}{NAME}{{% endblock %}} – Home</title>",
        # far over 80 characters, keywords first
        "<title>Best Bakery Portsmouth, Fresh Sourdough Bread, Wedding Cakes and Pastries Delivered Daily "
        f"| {NAME} | Order online today</title>",
        f"<title>{NAME} - sourdough, rye and spelt bread, cakes, tarts, coffee and breakfast in the heart of "
        "Portsmouth since 1952</title>",
        # a hostile og:site_name over 80 characters, with invisible characters sprinkled in
        f'<meta property="og:site_name" content="\u202e{NAME}\u202c | Bakery &amp; Café | '
        f'Portsmouth | Southsea | Fratton | Cosham | Hampshire | UK{INVISIBLE}"><title>Home</title>',
        f'<meta property="og:site_name" content="&lt;script&gt;alert(1)&lt;/script&gt;{NAME}">'
        f"<title>{NAME}{INVISIBLE}</title>",
        # ANSI in the title
        f"<title>\x1b[1m{NAME}\x1b[0m | Bread</title>",
    ],
)
def test_a_long_or_hostile_title_still_yields_the_name_inside_it(head: str) -> None:
    assert name_of(head) == NAME


def test_a_scraped_name_reaches_the_profile_clean(tmp_path: Path) -> None:
    html = page(
        head=f"<title>\u200b{NAME}\u202e | {{{{ tagline }}}}</title>",
        body=f'<header><a class="navbar-brand" href="/">\x1b[31m{NAME}\u2069</a></header>',
    )
    with served_site(tmp_path, {"index.html": html}) as url:
        profile = scrape_url(url)
    assert profile.name == NAME


def test_the_csv_company_is_cleaned_the_same_way_when_the_site_gives_no_name() -> None:
    row = lead("http://127.0.0.1:9/", company="\u202eAcme\u200b Bakery\x1b[0m")
    assert fallback_profile(row, "unreachable").name == "Acme Bakery"
    assert fallback_profile(lead("http://127.0.0.1:9/", company="\u200b\u202e"), "x").name == "127.0.0.1"


LD = '<script type="application/ld+json">{"@type": "Physician", "name": "%s"}</script>'


def test_the_name_schema_org_declares_wins_when_the_page_bears_it_out() -> None:
    # og:site_name, the logo's alt and the title lead with a descriptor; the business declares its name
    head = (
        '<meta property="og:site_name" content="Osteopathie du sport | Aurélie Dutertre">'
        + LD % "Cabinet d'ostéopathie Aurélie Dutertre"
        + "<title>Osteopathie du sport | Aurélie Dutertre</title>"
    )
    alt = "Osteopathie du sport | Aurélie Dutertre"
    body = f'<nav><a class="navbar-brand" href="/"><img src="/logo.png" alt="{alt}"></a></nav>'
    found = best_name(Page.parse("http://127.0.0.1/", page(head=head, body=body).encode()))
    assert found == ("Cabinet d'ostéopathie Aurélie Dutertre", "json-ld")


def test_a_template_leftover_in_schema_org_that_the_page_never_mentions_is_not_the_name() -> None:
    head = LD % "Themefisher Medical Clinic" + "<title>Praxis Lindner | Physiotherapie in Bonn</title>"
    found = best_name(Page.parse("http://127.0.0.1/", page(head=head, body="<h1>Praxis Lindner</h1>").encode()))
    assert found is not None and found[0] == "Praxis Lindner"


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("<footer><p>© 2026 Dr. med. Karin König. Alle Rechte vorbehalten.</p></footer>", "Dr. med. Karin König"),
        (
            '<header><h1 class="logo">Casa Dra<span>h</span>a</h1></header><footer>© 2016 lucapost</footer>',
            "Casa Draha",
        ),
    ],
    ids=["abbreviations-in-the-copyright-holder", "a-letter-styled-apart-in-the-wordmark"],
)
def test_the_name_survives_abbreviations_and_letters_styled_apart(body: str, name: str) -> None:
    head = f"<title>{name} · Reutlingen</title>"
    found = best_name(Page.parse("http://127.0.0.1/", page(head=head, body=body).encode()))
    assert found is not None and found[0] == name


def test_a_kind_of_business_alone_is_not_the_name() -> None:
    # The logo's alt "Logo étude" leaves "étude" (a notary's office), which every other clue starts with.
    head = "<title>Accueil</title>"
    body = (
        '<header><a class="brand" href="/"><img src="/logo.png" alt="Logo étude">'
        "<strong>Étude notariale — Maître Pierre-Yves Rongy</strong></a></header>"
        "<footer>© 2026 — Étude notariale Maître Pierre-Yves Rongy</footer>"
    )
    name = name_of(head, body)
    assert name is not None and name.startswith("Étude notariale") and name.endswith("Pierre-Yves Rongy")


@pytest.mark.parametrize("home", ["Úvod", "Etusivu", "Strona główna", "Kezdőlap", "Ana Sayfa", "Forside"])
def test_a_title_that_says_home_in_another_language_is_not_the_name(home: str) -> None:
    assert name_of(f"<title>{home}</title>", f"<h1>{home}</h1><footer>© 2026 Blue Harbour Bakery</footer>") == NAME


@pytest.mark.parametrize(
    ("head", "body", "name"),
    [
        (
            "<title>Blue Harbour Bakery</title>",
            '<header><span class="navbar-logo navbar-brand"><img src="/logo.png" alt="Mobirise"></span></header>',
            NAME,
        ),
        ("<title>Home</title>", "<h1>Herzlich Willkommen</h1>", None),
        ("<title>Home</title>", "<footer>(c) 2018 Blue Harbour Bakery Minden jog fentratva</footer>", NAME),
        ("<title>Home</title>", "<footer>© 2026 Blue Harbour Bakery Design and coding Avebart</footer>", NAME),
    ],
    ids=[
        "a-site-builders-default-alt",
        "a-greeting-heading",
        "rights-reserved-in-hungarian-misspelt",
        "a-makers-credit-run-into-the-copyright",
    ],
)
def test_a_builders_name_a_greeting_a_rights_notice_or_a_credit_is_no_name(
    head: str, body: str, name: str | None
) -> None:
    assert name_of(head, body) == name
