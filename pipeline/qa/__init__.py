"""Quality gates: pure-ish cores that look at a page loaded in the guarded browser and return a
`GateCheck` (pass / fail / review, with evidence). One module per gate; `runner.run_gates` runs
them all on one site; the qa stage (`pipeline/stages/qa.py`) is the thin job adapter.

The review band: a measurement within `qa_review_margin` (a fraction) of its limit holds the lead
for a person instead of passing it, so borderline sites are looked at before they are emailed.
"""

from __future__ import annotations

from pipeline.models import GateCheck, Verdict


def against_limit(value: float, limit: float, margin: float) -> Verdict:
    """`fail` above the limit, `review` within `margin` (a fraction of the limit) below it, else `pass`."""
    if value > limit:
        return "fail"
    if value > limit * (1 - margin):
        return "review"
    return "pass"


def worst(*verdicts: Verdict) -> Verdict:
    """The most severe of some verdicts (fail > review > pass)."""
    return "fail" if "fail" in verdicts else "review" if "review" in verdicts else "pass"


def check(name: str, problems: list[str], evidence: dict[str, object], review: list[str] | None = None) -> GateCheck:
    """A gate result: failed when there are problems, under review when only review notes, else passed."""
    if problems:
        return GateCheck(name=name, status="fail", detail="; ".join(problems)[:2000], evidence=evidence)
    if review:
        return GateCheck(name=name, status="review", detail="; ".join(review)[:2000], evidence=evidence)
    return GateCheck(name=name, status="pass", evidence=evidence)
