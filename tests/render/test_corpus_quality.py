"""Every corpus site's profile, built in the layouts taken in turn (all of them × all sites:
`python -m benchmarks.theme_quality`), passes axe-core (no serious or critical
violations), stays under the page weight budget and reflows at 320 px, in real Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from benchmarks._profiles import CORPUS_DIR, corpus_sites
from benchmarks.theme_quality import WEIGHT_BUDGET_BYTES, print_table, run
from pipeline.render.themes import THEME_NAMES
from tests.conftest import require_corpus


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_every_theme_for_every_corpus_profile_passes_axe_and_the_weight_budget(browser: Browser) -> None:
    sites = corpus_sites(require_corpus(CORPUS_DIR))
    assert len(sites) >= 10, f"corpus not found or incomplete at {CORPUS_DIR}"

    rows = run(sites, THEME_NAMES, browser, rotate=True)  # each site once, the layouts in turn
    print_table(rows)  # shown with `pytest -s`

    assert len(rows) == len(sites) and {r.theme for r in rows} >= set(THEME_NAMES) - {"photo"}
    assert [(r.theme, r.site, r.audit.violations) for r in rows if r.audit.violations] == []
    assert [(r.theme, r.site) for r in rows if max(r.audit.weight_bytes, r.bundle_bytes) >= WEIGHT_BUDGET_BYTES] == []
    assert [(r.theme, r.site) for r in rows if not r.audit.reflows_at_320] == []
    assert [r.audit.blocked_requests for r in rows if r.audit.blocked_requests] == []
    assert [(r.site, r.audit.logo.detail) for r in rows if r.audit.logo.clipped] == []
