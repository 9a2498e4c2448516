"""Accessibility gate: axe-core (bundled by axe-playwright-python) run inside the page on the WCAG
2.0 and 2.1 level A and AA rules. Any serious or critical violation fails the gate.

axe-core is 570 KB of script. Evaluated into every page it costs a transfer from this process and a
parse per site; `INIT_SCRIPT` instead hands it to the browser once per context (`Browser.reused` /
`open(init_script=...)`), and the browser defines it in each top-level http(s) document right after
the load event, so the page's own load, paint and layout-shift timings do not include it. A page
opened without it still gets axe-core injected on demand."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

from pipeline.models import GateCheck
from pipeline.qa import check

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING = frozenset({"serious", "critical"})
OPTIONS: dict[str, Any] = {"runOnly": {"type": "tag", "values": list(WCAG_TAGS)}, "resultTypes": ["violations"]}

# `__pipelineAxe` settles once axe-core is defined; frames and about:blank are left alone.
INIT_SCRIPT = (
    "(() => {\n"
    "  if (window !== window.top || !/^https?:$/.test(location.protocol)) return;\n"
    "  window.__pipelineAxe = new Promise(ready => {\n"
    "    const define = () => { if (typeof window.axe !== 'object') {\n" + AXE_SCRIPT + "\n    } ready(true); };\n"
    "    const later = () => setTimeout(define, 0);\n"
    "    if (document.readyState === 'complete') later();\n"
    "    else addEventListener('load', later, {once: true});\n"
    "  });\n"
    "})();\n"
)
# The violations only: axe's whole result (passes, inapplicable rules) is many times their size.
_RUN = """async (options) => {
  if (window.__pipelineAxe) await window.__pipelineAxe;
  if (typeof window.axe !== 'object') return null;
  return (await axe.run(document, options)).violations;
}"""


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as loaded (the script is injected if not there yet)."""
    violations: list[dict[str, Any]] | None = page.evaluate(_RUN, OPTIONS)
    if violations is None:
        page.evaluate(AXE_SCRIPT)
        violations = page.evaluate(_RUN, OPTIONS)
    return list(violations or [])


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
