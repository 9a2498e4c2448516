"""The renderer's pure core: rendered boxes → colours by visual prominence, logo boxes by place."""

from __future__ import annotations

from pipeline.scrape.colors import Votes
from pipeline.scrape.colorvalue import delta_e
from pipeline.scrape.visual import Box, Seen, brand_colors, logo_boxes, surfaces

WHITE, INK = "rgb(255, 255, 255)", "rgb(33, 37, 41)"


def seen(*boxes: Box, logo_colors: list[tuple[str, float]] | None = None) -> Seen:
    page = Box("div", w=1280, h=3000, background=WHITE, color=INK, text=2000)
    return Seen(boxes=[page, *boxes], logo_colors=logo_colors or [])


def close(a: str | None, b: str) -> bool:
    return a is not None and delta_e(a, b) <= 3


def test_the_header_background_outweighs_many_links_in_another_colour() -> None:
    header = Box("header", w=1280, h=90, background="rgb(139, 44, 0)", header=True)
    links = [Box("a", y=900 + 20 * i, w=80, h=18, color="rgb(0, 118, 209)", text=8, link=True) for i in range(60)]
    assert close(brand_colors(seen(header, *links)).primary, "#8b2c00")


def test_a_pale_tint_behind_the_header_loses_to_vivid_buttons_and_headings() -> None:
    header = Box("nav", w=1280, h=80, background="rgb(253, 211, 227)", header=True)
    pink = "rgb(206, 79, 129)"
    buttons = [Box("a", "btn btn-primary", y=300 + 60 * i, w=160, h=44, background=pink) for i in range(3)]
    heading = Box("h2", y=500, w=600, h=40, color="rgb(206, 79, 129)", text=20, font_size=32)
    assert close(brand_colors(seen(header, *buttons, heading)).primary, "#ce4f81")


def test_unstyled_links_and_footer_colours_are_not_the_brand() -> None:
    links = [Box("a", y=200 + 20 * i, w=80, h=18, color="rgb(0, 0, 238)", text=8, link=True) for i in range(30)]
    footer = Box("footer", y=2500, w=1280, h=300, background="rgb(12, 120, 60)", footer=True)
    button = Box("button", y=400, w=140, h=40, background="rgb(178, 34, 34)")
    assert close(brand_colors(seen(*links, footer, button)).primary, "#b22222")


def test_logo_pixels_count_for_the_brand() -> None:
    heading = Box("h1", y=200, w=600, h=50, color="rgb(40, 90, 160)", text=12, font_size=40)
    result = brand_colors(seen(heading, logo_colors=[("#e4b90b", 0.6)]))
    assert close(result.primary, "#e4b90b")


def test_a_black_header_and_black_buttons_make_a_monochrome_brand() -> None:
    header = Box("header", w=1280, h=80, background="rgb(0, 0, 0)", header=True)
    buttons = [Box("button", y=400 + 60 * i, w=140, h=40, background="rgb(0, 0, 0)") for i in range(3)]
    badge = Box("span", y=900, w=40, h=20, background="rgb(37, 211, 102)")
    assert brand_colors(seen(header, *buttons, badge)).primary == "#000000"


def test_the_logo_is_the_image_where_a_logo_sits_not_an_icon_or_a_photo() -> None:
    logo = Box("img", y=20, x=40, w=180, h=60, header=True, home_link=True, src="http://s/img/mark.png")
    icon = Box("img", "phone", y=25, x=1100, w=24, h=24, header=True, src="http://s/assets/icons/phone.png")
    photo = Box("img", "hero", y=120, w=1280, h=600, src="http://s/img/hero.jpg")
    partner = Box("img", "partner logo", y=2600, w=120, h=60, footer=True, src="http://s/img/partner-logo.png")
    ranked = logo_boxes(seen(icon, photo, partner, logo), "Blue Harbour Bakery")
    assert [b.src for b in ranked][:1] == ["http://s/img/mark.png"]
    assert all(b.src != "http://s/img/hero.jpg" for b in ranked)


def test_a_social_networks_element_is_no_brand_surface_whatever_its_link() -> None:
    # Round icons painted in the networks' colours, their links set by a script that never ran.
    buttons = [Box("a", "custom-button btn", y=300 + 60 * i, w=160, h=44, background="rgb(0, 0, 0)") for i in range(5)]
    icons = [
        Box("div", f"icon {network}", y=700, x=500 + 60 * i, w=50, h=50, background=color)
        for i, (network, color) in enumerate(
            (("facebook", "rgb(59, 89, 153)"), ("instagram", "rgb(225, 48, 108)"), ("tripadvisor", "rgb(0, 175, 135)"))
        )
    ]
    icon_font = Box("i", "fa fa-facebook-f", y=715, x=515, w=20, h=20, fill="rgb(59, 89, 153)")
    assert brand_colors(seen(*buttons, *icons, icon_font)).primary == "#000000"


def test_inside_a_social_block_the_networks_colours_are_ignored_but_the_brands_are_kept() -> None:
    in_social = "social-links https://www.facebook.com/acme"
    badge = Box("span", "circle", y=700, w=50, h=50, background="rgb(24, 119, 242)", around=in_social)
    assert surfaces(badge, seen()) == []
    own = Box("span", "circle", y=700, w=50, h=50, background="rgb(218, 165, 32)", around=in_social)
    assert [(s, c) for s, c, _ in surfaces(own, seen())] == [("badge", "#daa520")]
    elsewhere = Box("span", "circle", y=700, w=50, h=50, background="rgb(24, 119, 242)")
    assert [(s, c) for s, c, _ in surfaces(elsewhere, seen())] == [("badge", "#1877f2")]


def test_a_links_pseudo_element_drawn_as_a_filled_box_is_a_button() -> None:
    drawn = Box("a::before", y=300, w=280, h=55, color=WHITE, background="rgb(0, 0, 0)", text=1, link=True)
    assert [(s, c) for s, c, _ in surfaces(drawn, seen())] == [("button", "#000000")]


def test_a_framework_palette_no_brand_surface_shows_is_no_brand_a_grey_page_is_monochrome() -> None:
    # Bulma's defaults in its own stylesheet (link blue, turquoise primary), shown only in the footer:
    # a page all in grey ink is a monochrome brand, not Bulma's.
    css = Votes()
    for color, weight in (("#3273dc", 3.0), ("#00d1b2", 3.0), ("#209cee", 2.0), ("#4a4a4a", 3.0)):
        css.add(color, weight, "css bulma.css")
    css.framework.update({"#3273dc", "#00d1b2", "#209cee"})
    heading = Box("h1", y=300, w=600, h=40, color="rgb(54, 54, 54)", text=20, font_size=32)
    footer_links = [Box("a", y=2600, w=80, h=18, color="rgb(50, 115, 220)", text=8, link=True, footer=True)] * 3
    chosen = brand_colors(seen(heading, *footer_links), css)
    assert close(chosen.primary, "#363636") and chosen.source == "rendered monochrome"
    # the same palette on the page's buttons is what a visitor sees: it stays the brand
    button = Box("a", "button is-link", y=400, w=160, h=44, background="rgb(50, 115, 220)")
    assert close(brand_colors(seen(heading, button), css).primary, "#3273dc")
