"""Floors on brand extraction accuracy over the labelled corpora (../shared/corpus and
benchmarks/corpus, whose site files live outside the repository: see benchmarks/corpus/README.md),
scored like `benchmarks/brand_accuracy.py`, so a regression fails CI.

The 14 shared sites the rules were first tuned on must meet every goal, rendered (the default
wherever Chromium is installed) and static. Every labelled site, scored with the static parser (the
fallback; fast enough for CI, the rendered figures come from the benchmark), must stay at or above
the figures measured when it came in, minus one site of slack (FLOORS); where those are under a goal,
the goal is not met yet on that path (issue 22). Held-out failures name no site."""

from __future__ import annotations

import pytest

from benchmarks._corpus import CORPUS, GOALS, SiteResult, bench_settings, rate, run, totals

pytestmark = pytest.mark.timeout(600)

# Measured with `python benchmarks/brand_accuracy.py --render off` (rates) on 120 tuning and 161
# held-out sites (tune: name 118, logo 108, primary 104, tagline 91 of 120, email∅ 37/37, phone∅ 22/23;
# held-out: name 142, logo 134, primary 137, tagline 91 of 161, email∅ 46/47, phone∅ 12/13), minus one
# site. Batches 7 to 9 (123 sites, 69 of them held out) came in since the floors before; one tune
# site of an earlier batch can no longer be rebuilt (benchmarks/corpus/README.md).
FLOORS: dict[str, dict[str, float]] = {
    "tune": {"name": 0.97, "logo": 0.89, "primary": 0.85, "tagline": 0.75, "email∅": 0.97, "phone∅": 0.91},
    "heldout": {"name": 0.87, "logo": 0.82, "primary": 0.84, "tagline": 0.55, "email∅": 0.95, "phone∅": 0.84},
}
SHARED = sorted(p.name for p in (CORPUS / "sites").iterdir()) if (CORPUS / "sites").is_dir() else []


@pytest.fixture(scope="module")
def static() -> list[SiteResult]:
    assert (CORPUS / "sites.json").is_file(), f"corpus missing at {CORPUS}"
    return run(settings=bench_settings(scrape_render="off"))


@pytest.fixture(scope="module")
def rendered_shared() -> list[SiteResult]:
    return run(SHARED, settings=bench_settings(scrape_render="on"))


@pytest.mark.parametrize("field", sorted([*GOALS, "email∅", "phone∅"]))
def test_the_first_tuning_sites_meet_every_goal_rendered_or_not(
    static: list[SiteResult], rendered_shared: list[SiteResult], field: str
) -> None:
    goal = GOALS.get(field, 1.0)
    for mode, results in (("rendered", rendered_shared), ("static", [r for r in static if r.site in SHARED])):
        right, scored = totals(results)[field]
        wrong = [r.site for r in results if r.scores.get(field) is False]
        assert rate((right, scored)) >= goal, f"{mode} {field}: {right}/{scored}, wrong on {wrong}"


@pytest.mark.parametrize("split", ["tune", "heldout"])
@pytest.mark.parametrize("field", sorted(FLOORS["tune"]))
def test_the_labelled_corpus_stays_above_its_floors(static: list[SiteResult], split: str, field: str) -> None:
    results = [r for r in static if r.split == split]
    right, scored = totals(results)[field]
    floor = FLOORS[split][field]
    wrong = [r.site for r in results if r.scores.get(field) is False] if split == "tune" else "(held out)"
    assert rate((right, scored)) >= floor, f"{split} {field}: {right}/{scored} under {floor:.0%}, wrong: {wrong}"
