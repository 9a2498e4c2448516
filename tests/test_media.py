"""Asset safety lives in one place: only `pipeline.media` parses SVG or decodes raster pixels, so
there is one allowlist, one pixel cap and one error type to audit."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.media.monogram import monogram_svg
from pipeline.media.svg import sanitize

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"


def test_only_the_media_package_parses_svg_or_decodes_images() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parent.name != "media" and re.search(r"defusedxml|Image\.open\(", path.read_text())
    ]
    assert offenders == []


def test_the_monogram_passes_the_sanitiser_unchanged_in_meaning() -> None:
    clean = sanitize(monogram_svg("<b>Acme</b> & Co", "#faf5b2")).decode()
    assert ">BA<" in clean and 'fill="#1a1a1a"' in clean and "<b>" not in clean


def test_an_unparsable_colour_gives_the_default_monogram() -> None:
    assert b'fill="#1f4e79"' in monogram_svg("Acme", "not-a-colour")
