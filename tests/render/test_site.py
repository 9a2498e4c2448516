"""Building a site: sections from the profile, structure, determinism, golden bundles, budget."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import PermanentError
from pipeline.render.site import build_site, clean_text, page_weight, slug_for
from pipeline.render.themes import LAYOUTS, MOOD_NAMES, THEME_NAMES, choose_layout, choose_mood
from tests.render.html_checks import inert_problems, soup_of, structure_problems
from tests.render.profiles import KEY, LEAD, files_of, logo_asset, noisy_photo, photo, profile

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_every_theme_renders_all_sections_from_the_profile(theme: str) -> None:
    bundle = build_site(LEAD, KEY, profile(), theme=theme)
    files = files_of(bundle.files)
    soup = soup_of(files["index.html"])

    assert bundle.theme == theme
    assert soup.h1.get_text() == "Harbour Light Dental"
    assert "Gentle dentistry by the water since 1998" in soup.find(class_="tagline").get_text()
    assert [h.get_text() for h in soup.select("#services li h3")] == [i.title for i in profile().service_items]
    assert soup.select_one("#services li p").get_text() == "A thorough check and a clean, twice a year."
    assert "family practice on the harbourside" in soup.select_one("#about").get_text()
    assert [r.get_text(" ") for r in soup.select(".hours tr")] == ["Mon – Fri 08:00–18:00", "Sat 09:00–13:00"]
    assert [q.get_text() for q in soup.select(".quote figcaption")] == ["Maria K.", "Tom"]
    shown = soup.select("main img")
    assert shown and all(img["src"] in files and img["srcset"] and img["alt"] for img in shown)
    assert {img["alt"] for img in shown} <= {
        "Our treatment room overlooking the harbour",
        "The team at the front desk",
        "Photo: Harbour Light Dental",
    }
    hrefs = [a["href"] for a in soup.select("#contact a")]
    assert hrefs[:2] == ["tel:+4402079460000", "mailto:hello@harbour-light.example.com"]
    assert hrefs[2].startswith("https://www.openstreetmap.org/search?query=12%20Quay%20Street")
    assert [a["href"] for a in soup.select("footer a")] == profile().social
    logo = soup.select_one("header img.logo")
    assert logo["src"] in files and logo["alt"] == "Harbour Light Dental"
    assert soup.find("link", rel="icon")["href"] in files


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_every_theme_has_the_accessible_structure_and_nothing_active(theme: str) -> None:
    files = files_of(build_site(LEAD, KEY, profile(), theme=theme).files)
    assert structure_problems(files["index.html"]) == []
    assert inert_problems(files["index.html"], set(files)) == []


def test_building_twice_gives_byte_identical_bundles() -> None:
    first, second = build_site(LEAD, KEY, profile()), build_site(LEAD, KEY, profile())
    assert first.model_dump() == second.model_dump()


def test_the_bundle_is_identical_in_a_fresh_process_with_another_hash_seed() -> None:
    code = (
        "from tests.render.profiles import KEY, LEAD, profile\n"
        "from pipeline.render.site import build_site\n"
        "print(build_site(LEAD, KEY, profile()).content_hash)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == build_site(LEAD, KEY, profile()).content_hash


def test_a_changed_profile_gives_a_new_version() -> None:
    assert build_site(LEAD, KEY, profile()).content_hash != build_site(LEAD, KEY, profile(tagline="New")).content_hash


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_the_bundle_matches_its_golden_snapshot(theme: str) -> None:
    """Given the fixed synthetic profile, the bundle is exactly the reviewed one.
    After an intended change: `UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_site.py`, review the diff."""
    bundle = build_site(LEAD, KEY, profile(), theme=theme)
    files = files_of(bundle.files)
    snapshot = {
        "content_hash": bundle.content_hash,
        "slug": bundle.slug,
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    }
    manifest, page = GOLDEN / f"{theme}.json", GOLDEN / f"{theme}.index.html"
    if os.environ.get("UPDATE_GOLDEN"):
        manifest.write_text(json.dumps(snapshot, indent=2) + "\n")
        page.write_bytes(files["index.html"])
    assert files["index.html"].decode() == page.read_text()
    assert snapshot == json.loads(manifest.read_text())


@pytest.mark.parametrize(
    ("category", "name", "expected"),
    [
        ("Dentist", "Smile Studio", "harbor"),
        ("Zahnarztpraxis", "Praxis Roth", "harbor"),
        ("boulangerie", "Chez Paul", "hearth"),
        (None, "Sisters Cafe", "hearth"),
        (None, "Red Canoe Plumbing", "forge"),
        ("Schreinerei", "Röhrig", "forge"),
        (None, "Cabinet d'Ostéopathie Lainé", "harbor"),
        ("Our team of electricians", "Sparks", "forge"),  # "team" is no tea room
    ],
)
def test_the_mood_follows_the_business_category(category: str | None, name: str, expected: str) -> None:
    plain = profile(category=category, name=name, tagline=None, services=[], service_items=[])
    assert choose_mood(plain, KEY) == expected


def test_without_a_category_the_mood_is_a_stable_pick_from_the_lead_key() -> None:
    plain = profile(category=None, name="Acme", tagline=None, services=[], service_items=[])
    picks = {choose_mood(plain, f"{n:016x}") for n in range(30)}
    assert picks == set(MOOD_NAMES)
    assert choose_mood(plain, KEY) == choose_mood(plain, KEY)


def test_the_layout_follows_the_category_and_the_content_available() -> None:
    p = profile()
    assert choose_layout(p, "hearth") == "photo"  # food with photos: the photo hero
    assert choose_layout(p.model_copy(update={"photos": []}), "hearth") == "cards"  # hours: quick facts
    assert choose_layout(p.model_copy(update={"photos": [], "hours": []}), "hearth") in ("longform", "split")
    assert choose_layout(p, "forge") == "cards"  # trades with several services: the card grid
    few = p.model_copy(update={"photos": [], "services": [], "service_items": []})
    assert choose_layout(few, "forge") == "split"
    story = p.model_copy(update={"photos": [], "paragraphs": ["word " * 70]})
    assert choose_layout(story, "harbor") == "longform"
    assert set(LAYOUTS) == set(THEME_NAMES) and len(THEME_NAMES) >= 4


def test_a_layout_never_waits_for_a_photo_that_is_not_there() -> None:
    bundle = build_site(LEAD, KEY, profile(photos=[]), theme="photo")
    assert bundle.theme == "split" and not any(p.startswith("photo-") for p in bundle.files)


def test_the_name_is_written_once_above_the_fold_and_the_nav_follows_the_page() -> None:
    for theme in THEME_NAMES:
        soup = soup_of(files_of(build_site(LEAD, KEY, profile(), theme=theme).files)["index.html"])
        header_and_hero = soup.select_one("header").get_text(" ") + soup.select_one(".hero").get_text(" ")
        assert header_and_hero.count("Harbour Light Dental") == 1, theme
        nav = [a["href"][1:] for a in soup.select("nav a")]
        assert nav == [s["id"] for s in soup.select("main > section[id]")], theme


def test_a_heavy_logo_is_shrunk_until_the_page_fits_the_budget() -> None:
    heavy = profile(logo=logo_asset(noisy_photo((2000, 800))), photos=[])
    roomy = build_site(LEAD, KEY, heavy, page_weight_max_bytes=250_000)
    tight = build_site(LEAD, KEY, heavy, page_weight_max_bytes=14_000)
    no_room = build_site(LEAD, KEY, heavy, page_weight_max_bytes=10_000)
    assert sum(len(b) for b in files_of(roomy.files).values()) <= 250_000
    assert sum(len(b) for b in files_of(tight.files).values()) <= 14_000
    assert any(p.startswith("logo-") for p in tight.files)  # smaller, but still there
    assert not any(p.startswith("logo-") for p in no_room.files)  # dropped as the last resort
    assert sum(len(b) for b in files_of(no_room.files).values()) <= 10_000


def test_heavy_photos_are_written_smaller_then_dropped_to_fit_the_budget() -> None:
    noisy = [photo(noisy_photo((320 + i, 240)), f"noise {i}", (320 + i, 240)) for i in range(3)]
    bundle = build_site(LEAD, KEY, profile(photos=noisy), page_weight_max_bytes=120_000)
    files = files_of(bundle.files)
    assert page_weight(files) <= 120_000
    shown = soup_of(files["index.html"]).select("main img")
    assert 1 <= len(shown) < 3 and all(img["src"] in files for img in shown)


def test_a_budget_no_page_can_meet_is_a_permanent_error() -> None:
    with pytest.raises(PermanentError, match="weight budget"):
        build_site(LEAD, KEY, profile(), page_weight_max_bytes=1_000)


def test_missing_profile_details_leave_their_sections_out_rather_than_invent_them() -> None:
    bare = profile(
        tagline=None, logo=None, phone=None, email=None, address=None, social=[], paragraphs=[], services=[],
        service_items=[], photos=[], hours=[], testimonials=[],
    )  # fmt: skip
    files = files_of(build_site(LEAD, KEY, bare).files)
    soup = soup_of(files["index.html"])
    assert structure_problems(files["index.html"]) == []
    assert not soup.select("#about, #services, #gallery, #testimonials, .hours, img")
    assert [a["href"] for a in soup.select("nav a")] == ["#contact"]
    assert soup.select_one('a[href^="mailto:"]')["href"] == "mailto:hello@harbour-light.example.com"
    assert soup.select_one('a[href^="tel:"]')["href"] == "tel:+442079460000"
    assert any(p.startswith("favicon-") and p.endswith(".svg") for p in files)


def test_a_bare_town_gets_no_map_link() -> None:
    soup = soup_of(files_of(build_site(LEAD, KEY, profile(address="Bristol")).files)["index.html"])
    assert "Bristol" in soup.select_one("#contact").get_text() and not soup.select('a[href*="openstreetmap"]')


def test_the_page_speaks_the_profile_language() -> None:
    soup = soup_of(files_of(build_site(LEAD, KEY, profile(language="de")).files)["index.html"])
    assert soup.html["lang"] == "de"
    assert soup.select_one("a.skip").get_text() == "Zum Inhalt springen"
    assert soup_of(files_of(build_site(LEAD, KEY, profile(language="x<y")).files)["index.html"]).html["lang"] == "en"


def test_long_text_is_cut_at_a_word_and_controls_are_dropped() -> None:
    assert clean_text("a\u202eb\x00c  d", 50) == "a b c d"
    cut = clean_text("word " * 100, 40)
    assert len(cut) <= 40 and cut.endswith("…") and "wor…" not in cut


def test_slugs_are_path_safe_and_unique_per_lead() -> None:
    assert slug_for("../../etc/passwd", KEY) == "etc-passwd-01234567"
    assert slug_for("Café Müller", KEY) == "cafe-muller-01234567"
    assert slug_for("人人", KEY) == "site-01234567"
    assert slug_for("Acme", "aaaaaaaa11") != slug_for("Acme", "bbbbbbbb22")
