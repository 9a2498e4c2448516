"""Accessibility gate: axe-core (bundled by axe-playwright-python) run inside the page on the WCAG
2.0 and 2.1 level A and AA rules. Any serious or critical violation fails the gate."""

from __future__ import annotations

import json
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

from pipeline.models import GateCheck
from pipeline.qa import check

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING = frozenset({"serious", "critical"})
_OPTIONS = json.dumps({"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]})


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as loaded (the script is injected if not there yet)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate(f"() => axe.run(document, {_OPTIONS})")
    return list(result.get("violations", []))


def summarise(violation: dict[str, Any]) -> dict[str, Any]:
    """What the report keeps of one violation: rule, impact, help text and up to five elements."""
    nodes = violation.get("nodes", [])
    return {
        "id": violation.get("id"),
        "impact": violation.get("impact"),
        "help": violation.get("help"),
        "nodes": len(nodes),
        "targets": [", ".join(map(str, n.get("target", []))) for n in nodes[:5]],
        "summary": (nodes[0].get("failureSummary") or "")[:300] if nodes else "",
    }


def gate(page: Page) -> GateCheck:
    """Run axe-core; fail on serious or critical violations, keep the others as evidence."""
    violations = [summarise(v) for v in axe_violations(page)]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    problems = [f"{v['id']} ({v['impact']}, {v['nodes']} elements): {v['help']}" for v in blocking]
    return check("accessibility", problems, {"violations": violations, "serious_or_critical": len(blocking)})
