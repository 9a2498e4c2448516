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

# Measured with `python benchmarks/brand_accuracy.py --render off` (rates) on 67 tuning and 92
# held-out sites (tune: name 67, logo 62, primary 64, tagline 55 of 67, email∅ 26/26, phone∅ 17/17;
# held-out: name 82, logo 75, primary 81, tagline 47 of 92, email∅ 28/29, phone∅ 7/8), minus one site.
# The held-out floors fell when batches 3 to 6 (100 sites, 64 of them held out) came in: the new sites
# are harder than the first 45 (held-out name 25/28 -> 82/92, tagline 16/28 -> 47/92).
FLOORS: dict[str, dict[str, float]] = {
    "tune": {"name": 0.98, "logo": 0.91, "primary": 0.94, "tagline": 0.8, "email∅": 0.96, "phone∅": 0.94},
    "heldout": {"name": 0.88, "logo": 0.8, "primary": 0.86, "tagline": 0.5, "email∅": 0.93, "phone∅": 0.75},
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
