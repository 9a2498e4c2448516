"""The slogan: a welcome heading counts when it names the business, by its whole name or by the
part of it that tells this business from others of its kind."""

from __future__ import annotations

import pytest

from pipeline.scrape.names import distinctive_words, names_business, norm
from pipeline.scrape.page import Page
from pipeline.scrape.tagline import tagline
from tests.scrape.helpers import page


def slogan(body: str, name: str) -> tuple[str | None, str]:
    return tagline(Page.parse("http://127.0.0.1/", page(body=body, lang="de").encode()), name)


def test_a_welcome_heading_naming_the_business_by_its_distinctive_word_is_the_slogan() -> None:
    body = "<h1>Willkommen in Schloßkulm</h1><p>Ein Lehmhaus am Wald.</p>"
    assert slogan(body, "Schloßkulm Ferienwohnungen") == ("Willkommen in Schloßkulm", "welcome heading")


def test_a_welcome_heading_naming_no_business_is_not_the_slogan() -> None:
    body = "<h1>Willkommen bei uns</h1><p>Ein Lehmhaus am Wald.</p>"
    assert slogan(body, "Schloßkulm Ferienwohnungen") == (None, "none")


@pytest.mark.parametrize(
    ("text", "name", "named"),
    [
        ("Willkommen in Schloßkulm", "Schloßkulm Ferienwohnungen", True),
        ("Willkommen in Schlosskulm", "Schloßkulm Ferienwohnungen", True),  # ß and ss are one spelling
        ("Welcome to El Asfour", "Restaurant El Asfour", True),  # the name minus its category word
        ("Welcome to Blue Harbour", "Blue Harbour Bakery", True),
        ("Welcome to our restaurant", "Restaurant El Asfour", False),
        ("Willkommen in der Praxis", "Praxis Dr Weber", False),
        ("Welcome to the bakery", "Blue Harbour Bakery", False),
        ("Welcome to the Blue Harbour Bakery", "Blue Harbour Bakery", True),
    ],
)
def test_a_text_names_the_business_by_its_name_or_a_distinctive_part(text: str, name: str, named: bool) -> None:
    assert names_business(norm(text), norm(name)) is named


def test_category_and_joining_words_do_not_tell_a_business_apart() -> None:
    assert distinctive_words(norm("Hotel Zur Post")) == ["post"]
    assert distinctive_words(norm("Schloßkulm Ferienwohnungen")) == ["schloßkulm"]


@pytest.mark.parametrize(
    "under",
    [
        "<h2>Contact: 508 533 5536 <br> willswaylandscap@example.net</h2>",
        "<p>Besuchen Sie uns auf www.example.org</p>",
        "<p>So erreichen Sie uns:</p>",
        "<p>Projekt 1</p>",
        "<p>Honsberger Str. 12, 42857 Remscheid</p>",
    ],
    ids=["phone-and-email", "web-address", "lead-in-colon", "numbered-caption", "postal-address"],
)
def test_contact_lines_lead_ins_and_numbered_captions_are_no_slogan(under: str) -> None:
    assert slogan(f"<div><span>Acme Gartenbau</span>{under}</div>", "Acme Gartenbau") == (None, "none")


def test_a_short_line_under_the_name_with_an_abbreviation_is_still_the_slogan() -> None:
    body = "<div><span>Emilie Roghi</span><p>Ostéopathe D.O</p></div>"
    assert slogan(body, "Emilie Roghi") == ("Ostéopathe D.O", "under the name")


def test_under_a_headline_that_is_the_name_and_what_it_is_the_next_line_is_the_slogan() -> None:
    body = (
        '<section class="hero"><h1>Gästehaus Rader – Ferienwohnungen in Weißbriach im Gitschtal</h1>'
        "<p>Erleben Sie alpine Gelassenheit und kärntner Gastfreundschaft in ihrer schönsten Form.</p></section>"
    )
    found = slogan(body, "Gästehaus Rader")
    assert found == (
        "Erleben Sie alpine Gelassenheit und kärntner Gastfreundschaft in ihrer schönsten Form",
        "under the headline",
    )


def test_an_article_heading_the_page_links_to_is_no_slogan() -> None:
    body = (
        '<nav><a href="#gauliga25">Gauliga erfolgreich beendet</a></nav>'
        '<div class="info"><h2 id="gauliga25">TG Bendorf-Weitersburg: Gauliga erfolgreich beendet</h2></div>'
    )
    assert slogan(body, "TV 1891 Weitersburg e.V.") == (None, "none")


def test_the_line_under_a_heading_that_is_only_the_name_is_the_slogan_before_the_titles_place() -> None:
    body = "<main><h1>About To Shine Cleaning</h1><p><strong>Proudly Family-Owned &amp; Operated</strong></p></main>"
    head = "<title>About To Shine Cleaning | Emmaus, PA</title>"
    found = tagline(Page.parse("http://127.0.0.1/", page(head=head, body=body).encode()), "About To Shine Cleaning")
    assert found == ("Proudly Family-Owned & Operated", "under the name")


def test_a_soft_hyphen_in_the_slogan_is_dropped_as_a_reader_sees_it() -> None:
    body = "<header><h1>Zahnarztpraxis Werland</h1><p>Zahn&shy;medizin, die Vertrauen&#8203; verdient.</p></header>"
    assert slogan(body, "Zahnarztpraxis Werland")[0] == "Zahnmedizin, die Vertrauen verdient"


def test_in_a_hero_only_a_short_first_line_is_the_slogan_not_body_copy_or_a_caption() -> None:
    intro = "In der Kerngemeinde gelegen biete ich Ihnen ein vielfältiges Spektrum an Techniken und Therapien an."
    body = f'<section class="hero"><div><p>{intro}</p><p>Christiane Fuchs</p></div></section>'
    assert slogan(body, "Physiotherapie Fuchs") == (None, "none")
    short = '<section class="hero"><div><p></p><p>Bewegung ist Leben</p><p>Termine nach Absprache</p></div></section>'
    assert slogan(short, "Physiotherapie Fuchs") == ("Bewegung ist Leben", "hero")
