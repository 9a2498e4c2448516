"""Whose phone and e-mail a page shows. An unlabelled number counts as the business's phone only
beside a phone icon or where sites put their phone (contact block, footer, header bar):
`pipeline.scrape.phones`; a maker's credit and an example address are never the business's."""

from __future__ import annotations

import pytest

from pipeline.scrape.contact import find_email, find_phone
from pipeline.scrape.page import Page

NUMBER = "+49 6093 996960"


def phone_of(body: str) -> str | None:
    found = find_phone(Page.parse("http://127.0.0.1/", f"<html><body>{body}</body></html>".encode()))
    return found[0] if found else None


def test_an_unlabelled_number_in_running_text_is_not_a_phone() -> None:
    body = f"<main><section><p>Unsere Zulassung {NUMBER} gilt seit Jahren.</p></section></main>"
    assert phone_of(body) is None


@pytest.mark.parametrize(
    "body",
    [
        f'<main><ul><li><i class="fa fa-mobile" aria-hidden="true"></i> {NUMBER}</li></ul></main>',
        f'<main><a href="#"><img src="/icons/phone.png" alt=""> <span>{NUMBER}</span></a></main>',
        f'<main><p><svg class="bi bi-telephone"></svg> {NUMBER}</p></main>',
        f'<main><p><span class="material-icons">call</span> {NUMBER}</p></main>',
        f"<main><div><footer><div><p>Hauptstr. 1 - {NUMBER}</p></div></footer></div></main>",
        f'<main><div id="kontakt"><div class="row"><p>{NUMBER}</p></div></div></main>',
        f'<div class="header-top"><span>{NUMBER}</span></div>',
        f"<main><address>Hauptstr. 1<br>{NUMBER}</address></main>",
    ],
    ids=["fa-icon", "icon-image", "svg-icon", "material-ligature", "footer", "contact-block", "top-bar", "address"],
)
def test_an_unlabelled_number_beside_a_phone_icon_or_in_the_contact_places_is_a_phone(body: str) -> None:
    assert phone_of(body) == NUMBER


def test_a_labelled_number_in_running_text_is_still_a_phone() -> None:
    assert phone_of(f"<main><p>Reservierung unter Tel. {NUMBER} erbeten.</p></main>") == NUMBER


def test_an_icon_that_is_not_a_phone_gives_no_cue() -> None:
    body = f'<main><p><i class="fa fa-calendar"></i> Aktenzeichen {NUMBER}</p></main>'
    assert phone_of(body) is None


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("<main><p>Via Roma 1<br>tel/fax: +39 0432 732438<br></p></main>", "+39 0432 732438"),
        ("<main><p>Telefon &amp; Fax: 06232 919193</p></main>", "06232 919193"),
        ("<main><h2>Contact: 508 533 5536 <br> info@example.org</h2></main>", "508 533 5536"),
        ("<main><p>Fax: 06232 919193</p></main>", None),
    ],
    ids=["tel-fax-shared", "telefon-und-fax", "contact-label", "fax-only"],
)
def test_a_number_labelled_for_phone_and_fax_or_as_the_contact_is_a_phone(body: str, want: str | None) -> None:
    assert phone_of(body) == want


@pytest.mark.parametrize(
    "body",
    [
        '<footer><p>Made by <a href="mailto:max.builder@gmail.com">Max</a></p></footer>',
        "<footer><p>Webdesign: max.builder@gmail.com</p></footer>",
        '<form><label>E-Mail</label><p class="hint">z. B. marie@exemple.ch</p></form>',
        "<p>Schreiben Sie an name@beispiel.de</p>",
    ],
    ids=["maker-credit-link", "maker-credit-text", "french-example-domain", "german-example-domain"],
)
def test_a_makers_address_or_an_example_address_is_no_business_email(body: str) -> None:
    assert find_email(Page.parse("http://127.0.0.1/", f"<html><body>{body}</body></html>".encode())) is None


def test_a_french_number_written_with_dots_is_a_phone_not_two_times_of_day() -> None:
    assert phone_of("<p>11 Avenue de la gare<br>Tél. : 04.73.95.00.48</p>") == "04.73.95.00.48"
    assert phone_of("<p>Tél. : 08.00 - 12.00</p>") is None
