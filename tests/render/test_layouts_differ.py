"""Two leads of different categories get visibly different layouts: their first screens differ in
structure, measured on edge maps of grey-scale screenshots (so colour, the palette and the mood's
light or dark scheme count for nothing), in real Chromium. The control: one layout in two moods."""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageFilter
from playwright.sync_api import Browser

from pipeline.deploy.local import LocalWebRoot
from pipeline.models import Palette
from pipeline.render.site import build_site
from tests.render.profiles import LEAD, profile

THRESHOLD = 0.09  # share of edge pixels that differ: one layout in two moods ~0.07, two layouts ~0.12


def _edges(browser: Browser, url: str) -> Image.Image:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(url)
        shot = Image.open(io.BytesIO(page.screenshot()))
    finally:
        page.close()
    edges = shot.convert("L").filter(ImageFilter.FIND_EDGES)
    return edges.point(lambda v: 255 if v > 40 else 0).filter(ImageFilter.MaxFilter(3))


def _difference(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a, b)
    return sum(1 for v in diff.tobytes() if v) / (diff.width * diff.height)


def test_a_dentist_and_a_plumber_get_visibly_different_layouts(browser: Browser, web_root: LocalWebRoot) -> None:
    same = Palette(primary="#1c6e8c", secondary="#f2a541")
    dentist = profile(category="dentist", palette=same, photos=[])
    plumber = profile(category="plumber", palette=same, photos=[])
    built = {key: build_site(LEAD, key, p) for key, p in (("a" * 16, dentist), ("b" * 16, plumber))}
    assert built["a" * 16].theme != built["b" * 16].theme  # e.g. long form vs card grid
    shots = [_edges(browser, web_root.publish(bundle).url) for bundle in built.values()]

    control_a = build_site(LEAD, "c" * 16, dentist, theme=built["b" * 16].theme)
    control_b = build_site(LEAD, "d" * 16, plumber, theme=built["b" * 16].theme)
    controls = [_edges(browser, web_root.publish(bundle).url) for bundle in (control_a, control_b)]

    assert _difference(*controls) < THRESHOLD < _difference(*shots)
