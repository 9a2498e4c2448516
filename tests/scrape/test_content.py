"""The prospect's own content: photos, opening hours, testimonials and described services, read
from a small site served on loopback by the real scrape; nothing is made up when a page has none."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from pipeline.scrape import hours, services, testimonials
from pipeline.scrape.page import Page
from tests.render.profiles import scene_photo
from tests.scrape.helpers import scrape_url, write_site
from tests.support.servers import serve_directory

HOME = """<!doctype html><html lang="en"><head><title>Acme Bakery</title>
<meta property="og:site_name" content="Acme Bakery">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Bakery","name":"Acme Bakery",
 "openingHoursSpecification":[{"@type":"OpeningHoursSpecification","dayOfWeek":["Monday","Tuesday","Wednesday",
 "Thursday","Friday"],"opens":"07:00","closes":"18:00"},{"@type":"OpeningHoursSpecification",
 "dayOfWeek":"https://schema.org/Saturday","opens":"08:00","closes":"13:00"}]}</script></head>
<body><header><img src="logo.png" alt="Acme Bakery logo" class="logo"></header>
<section class="hero"><img src="shop.jpg" alt="Our shop window at dawn"></section>
<section id="services"><h2>Our services</h2>
 <div class="card"><h3>Sourdough</h3><p>Slow-fermented loaves baked every morning in our stone oven.</p></div>
 <div class="card"><h3>Wedding cakes</h3><p>Tiered cakes designed with you and delivered on the day.</p></div>
</section>
<section class="testimonials"><div class="testimonial"><p>"The best bread in town, and the kindest people."</p>
 <p class="author">Jo P.</p></div></section>
<img src="pixel.gif" width="1" height="1" alt=""><img src="icons/phone.png" alt="phone icon">
<img src="flat.png" alt="a flat band"><img src="thin.jpg" alt="a thin strip">
<footer><img src="badge.jpg" alt="award"></footer></body></html>"""


def _png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def test_the_scrape_keeps_the_sites_own_photos_hours_testimonials_and_services(tmp_path: Path) -> None:
    write_site(
        tmp_path,
        {
            "index.html": HOME,
            "logo.png": _png((300, 100), (200, 40, 40)),
            "shop.jpg": scene_photo((1000, 700)),
            "flat.png": _png((900, 600), (240, 240, 240)),
            "thin.jpg": scene_photo((1200, 100)),
            "badge.jpg": scene_photo((600, 400), 30),
            "icons/phone.png": scene_photo((600, 400), 60),
        },
    )
    with serve_directory(tmp_path) as url:
        profile = scrape_url(url)
    [photo] = profile.photos  # not the logo, the icon, the pixel, the flat band, the strip or the badge
    assert photo.alt == "Our shop window at dawn" and photo.url and photo.url.endswith("/shop.jpg")
    with Image.open(io.BytesIO(base64.b64decode(photo.data_b64))) as im:
        assert im.format == "WEBP" and im.size == (photo.width, photo.height) == (1000, 700)
    assert [(r.codes, r.times) for r in profile.hours] == [
        (["Mo", "Tu", "We", "Th", "Fr"], "07:00–18:00"),
        (["Sa"], "08:00–13:00"),
    ]
    assert profile.sources["hours"] == "schema.org"
    assert [(s.title, s.description[:20]) for s in profile.service_items] == [
        ("Sourdough", "Slow-fermented loave"),
        ("Wedding cakes", "Tiered cakes designe"),
    ]
    assert [(t.quote, t.author) for t in profile.testimonials] == [
        ("The best bread in town, and the kindest people.", "Jo P.")
    ]


def test_hours_in_the_text_are_read_and_the_openinghours_shorthand_too() -> None:
    text = Page.parse(
        "http://127.0.0.1/",
        b"<html><body><div class='opening-hours'><h3>Opening hours</h3><ul>"
        b"<li><span>Monday - Friday</span> <span>8h - 18h</span></li><li>Saturday: closed</li></ul>"
        b"</div></body></html>",
    )
    rows, source = hours.opening_hours([text])
    assert source == "text" and [(r.codes, r.times) for r in rows] == [
        (["Mo", "Tu", "We", "Th", "Fr"], "8h - 18h"),
        (["Sa"], "closed"),
    ]
    short = Page.parse(
        "http://127.0.0.1/",
        b'<html><head><script type="application/ld+json">{"@type":"Restaurant","openingHours":"Mo-Su 10:00-21:00"}'
        b"</script></head><body></body></html>",
    )
    assert [r.codes for r in hours.opening_hours([short])[0]] == [["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]]


def test_a_page_without_such_content_gives_none_of_it() -> None:
    page = Page.parse(
        "http://127.0.0.1/",
        b"<html><body><h1>Acme</h1><p>We bake bread. Opening soon.</p><blockquote>A famous quote from "
        b"someone else entirely, not a customer.</blockquote><ul class='services'><li>Bread</li></ul></body></html>",
    )
    assert hours.opening_hours([page]) == ([], "none")
    assert testimonials.testimonials([page]) == []
    assert services.described_services(page) == []
