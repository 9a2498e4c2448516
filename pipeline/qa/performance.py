"""Performance gate: what the page cost to load, measured in the browser.

Navigation and resource timing, bytes and requests (from the guarded fetcher's log, which saw every
request), first and largest contentful paint and cumulative layout shift from PerformanceObserver's
buffered entries, and render-blocking resources. The paint and shift figures are scored with
Lighthouse's own desktop curves and weights, so the gate's `qa_min_performance_score` (90) means
what "Lighthouse performance ≥ 90" means; bytes, requests and render-blocking resources have hard
budgets in Settings. A score or figure within the review band holds the lead.
"""

from __future__ import annotations

import math
from typing import Any

from playwright.sync_api import Page

from pipeline.browser import Tab
from pipeline.models import GateCheck
from pipeline.qa import against_limit, check
from pipeline.settings import Settings

# Buffered observers deliver their entries in a task of their own: wait two frames for them.
_MEASURE = """() => new Promise(resolve => {
  let lcp = 0, cls = 0;
  try {
    new PerformanceObserver(l => { for (const e of l.getEntries()) lcp = Math.max(lcp, e.renderTime || e.startTime); })
      .observe({type: 'largest-contentful-paint', buffered: true});
    new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) cls += e.value; })
      .observe({type: 'layout-shift', buffered: true});
  } catch (e) {}
  const finish = () => {
    const nav = performance.getEntriesByType('navigation')[0] || {};
    const res = performance.getEntriesByType('resource');
    const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
    resolve({
      ttfb_ms: nav.responseStart || 0,
      dom_content_loaded_ms: nav.domContentLoadedEventEnd || 0,
      load_ms: nav.loadEventEnd || nav.duration || 0,
      fcp_ms: paint ? paint.startTime : 0,
      lcp_ms: lcp,
      cls: cls,
      render_blocking: res.filter(r => r.renderBlockingStatus === 'blocking').map(r => r.name),
      resources: res.length,
      scripts: document.scripts.length,
    });
  };
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(finish, 0)));
})"""


def start(page: Page) -> None:
    """Begin measuring without waiting: the two frames pass while the caller does other work
    (`measure` then collects the figures)."""
    page.evaluate(f"() => {{ window.__pipelinePerf = ({_MEASURE})(); }}")


def measure(page: Page) -> dict[str, Any]:
    """Timing figures of the loaded page (those `start` began, else measured now)."""
    figures: dict[str, Any] = page.evaluate(f"() => window.__pipelinePerf || ({_MEASURE})()")
    return figures


# Lighthouse 10+ desktop scoring: (p10, median) of each metric's log-normal curve, and its weight.
CURVES: dict[str, tuple[float, float, float]] = {
    "fcp_ms": (934, 1600, 0.10),
    "si_ms": (1311, 2300, 0.10),
    "lcp_ms": (1200, 2400, 0.25),
    "tbt_ms": (150, 350, 0.30),
    "cls": (0.1, 0.25, 0.25),
}
_INVERSE_ERFC_ONE_FIFTH = 0.9062938180327741


def metric_score(value: float, p10: float, median: float) -> float:
    """Lighthouse's log-normal score of one metric: 0.9 at p10, 0.5 at the median, 1 at zero."""
    if value <= 0:
        return 1.0
    standardised = math.log(value / median) * _INVERSE_ERFC_ONE_FIFTH / -math.log(p10 / median)
    return min(1.0, max(0.0, (1 - math.erf(standardised)) / 2))


def lighthouse_score(figures: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The performance score (0-100) Lighthouse would give these figures, and each metric's score."""
    scores = {name: metric_score(figures[name], p10, median) for name, (p10, median, _) in CURVES.items()}
    total = sum(scores[name] * weight for name, (_, _, weight) in CURVES.items())
    return round(total * 100, 1), {k: round(v, 3) for k, v in scores.items()}


def gate(tab: Tab, settings: Settings) -> GateCheck:
    """Score the page as Lighthouse does (desktop) and hold it to the budgets in Settings.

    Speed index is taken as the LCP time (a static page is visually complete by then, so this errs
    on the strict side); total blocking time is 0 on a page that runs no script (ours run none: their
    CSP allows none), and the page is held for review when it does run scripts."""
    figures = measure(tab.page)
    figures["si_ms"] = max(figures["fcp_ms"], figures["lcp_ms"])
    figures["tbt_ms"] = 0.0
    figures["bytes"] = tab.bytes
    figures["requests"] = len(tab.requests)
    score, metric_scores = lighthouse_score(figures)
    margin = settings.qa_review_margin
    budgets: dict[str, float] = {
        "bytes": settings.page_weight_max_bytes,
        "requests": settings.qa_max_requests,
        "render_blocking": settings.qa_max_render_blocking,
    }
    values = {**figures, "render_blocking": len(figures["render_blocking"])}
    problems, review = [], []
    for name, limit in budgets.items():
        verdict = against_limit(float(values[name]), limit, margin)
        if verdict == "fail":
            problems.append(f"{name} {values[name]:g} over the budget of {limit:g}")
        elif verdict == "review":
            review.append(f"{name} {values[name]:g} close to the budget of {limit:g}")
    if score < settings.qa_min_performance_score:
        problems.append(f"performance score {score:g} below {settings.qa_min_performance_score:g}")
    elif score < settings.qa_min_performance_score + settings.qa_score_review_points:
        review.append(f"performance score {score:g} close to the minimum {settings.qa_min_performance_score:g}")
    if figures["scripts"]:
        review.append(f"the page runs {figures['scripts']} script(s): blocking time not measured")
    evidence = {**figures, "score": score, "metric_scores": metric_scores, "budgets": budgets}
    return check("performance", problems, evidence, review)
