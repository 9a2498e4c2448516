"""Built sites for the gate tests: clean, or tampered with in one way each."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.deploy.local import LocalWebRoot
from pipeline.models import BrandProfile
from pipeline.qa.content import Expected
from pipeline.render.site import build_site
from pipeline.stages.qa import expected_for
from tests.render.profiles import KEY, LEAD, profile


def publish(
    root: LocalWebRoot, slug: str, prof: BrandProfile | None = None, theme: str | None = None
) -> tuple[str, Path]:
    """Build the test profile, publish it under `slug`; returns its URL and its live folder."""
    bundle = build_site(LEAD, KEY, prof or profile(), theme=theme).model_copy(update={"slug": slug})
    url = root.publish(bundle).url
    return url, root.root / slug


def expected(prof: BrandProfile | None = None) -> Expected:
    """What the gates expect of the test profile's site."""
    return expected_for(LEAD, prof or profile(), logo=True)


def tamper(folder: Path, css: str = "", body: str = "") -> None:
    """Add CSS and markup to a published page (dropping its CSP, which pins the original CSS)."""
    page = folder / "index.html"
    html = page.read_text()
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    html = html.replace("</style>", css + "</style>", 1)
    html = re.sub(r"(<main[^>]*>)", lambda m: m.group(1) + body, html, count=1)
    page.write_text(html)
