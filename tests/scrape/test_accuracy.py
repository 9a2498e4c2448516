"""A floor on brand extraction accuracy over the real-site corpus (../shared/corpus): the same
scoring as `benchmarks/brand_accuracy.py`, so a regression in any goal fails CI."""

from __future__ import annotations

import pytest

from benchmarks._corpus import CORPUS, GOALS, SiteResult, rate, run, totals


@pytest.fixture(scope="module")
def results() -> list[SiteResult]:
    assert (CORPUS / "sites.json").is_file(), f"corpus missing at {CORPUS}"
    return run()


@pytest.mark.parametrize("field", sorted(GOALS))
def test_brand_extraction_meets_the_accuracy_goal_on_the_corpus(results: list[SiteResult], field: str) -> None:
    right, scored = totals(results)[field]
    wrong = [r.site for r in results if r.scores.get(field) is False]
    assert rate((right, scored)) >= GOALS[field], f"{field}: {right}/{scored}, wrong on {wrong}"


@pytest.mark.parametrize("field", ["email∅", "phone∅"])
def test_no_contact_detail_is_invented_where_the_site_shows_none(results: list[SiteResult], field: str) -> None:
    wrong = [r.site for r in results if r.scores.get(field) is False]
    assert rate(totals(results)[field]) == 1.0, f"{field}: invented on {wrong}"
