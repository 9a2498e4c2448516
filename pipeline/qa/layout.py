"""Layout gate, at desktop and mobile widths: no horizontal overflow (the 375 px check is the
mobile view), tap targets at least `qa_min_tap_target_px` (WCAG 2.5.8, with its exceptions for links
inside a sentence and for small targets spaced apart), no text clipped by its box and nothing
sticking out of the viewport."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from pipeline.models import GateCheck
from pipeline.qa import check

_INSPECT = """(minTap) => {
  const vw = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const shown = el => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    // 1 px boxes are visually hidden on purpose (screen-reader text, a skip link until focused)
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 1 && r.height > 1 && r.right > 0;
  };
  const small = [];
  const targets = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [role=button]')].filter(shown)
    .map(el => ({el, r: el.getBoundingClientRect()}));
  const undersized = t => t.r.width < minTap || t.r.height < minTap;
  const centre = r => [r.left + r.width / 2, r.top + r.height / 2];
  const toRect = (p, r) => Math.hypot(Math.max(r.left - p[0], 0, p[0] - r.right),
                                      Math.max(r.top - p[1], 0, p[1] - r.bottom));
  for (const t of targets) {
    if (!undersized(t)) continue;
    const s = getComputedStyle(t.el), parent = t.el.parentElement;
    const inline = s.display === 'inline' && parent &&
      parent.innerText.trim().length > t.el.innerText.trim().length + 2;
    if (inline) continue;  // a link inside a sentence is exempt
    // WCAG 2.5.8 spacing exception: a minTap circle on its centre touches no other target or circle
    const c = centre(t.r);
    const crowded = targets.some(o => o !== t && !o.el.contains(t.el) && !t.el.contains(o.el) &&
      (undersized(o) ? Math.hypot(c[0] - centre(o.r)[0], c[1] - centre(o.r)[1]) < minTap
                     : toRect(c, o.r) < minTap / 2));
    if (crowded) small.push(`${describe(t.el)} ${Math.round(t.r.width)}×${Math.round(t.r.height)}`);
  }
  const clipped = [], outside = [];
  const hides = v => v === 'hidden' || v === 'clip';
  for (const el of document.querySelectorAll('body *')) {
    if (!shown(el)) continue;
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    const over = (hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1) ||
                 (hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1);
    if (over && el.innerText && el.innerText.trim() && s.textOverflow !== 'ellipsis') clipped.push(describe(el));
    if (r.right > vw + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > vw + 1))
      outside.push(`${describe(el)} right edge ${Math.round(r.right)} px`);
  }
  return {
    width: vw,
    overflow_px: document.documentElement.scrollWidth - vw,
    small_targets: small.slice(0, 20),
    clipped: clipped.slice(0, 20),
    outside_viewport: outside.slice(0, 20),
  };
}"""


def inspect(page: Page, min_tap_px: int) -> dict[str, Any]:
    """Layout findings of the page at its current viewport."""
    found: dict[str, Any] = page.evaluate(_INSPECT, min_tap_px)
    return found


def gate(views: dict[str, dict[str, Any]]) -> GateCheck:
    """Fail on overflow, small tap targets, clipped text or content outside the viewport in any view."""
    problems = []
    for view, found in views.items():
        if found["overflow_px"] > 0:
            problems.append(f"{view}: scrolls sideways by {found['overflow_px']} px at {found['width']} px")
        problems += [f"{view}: tap target {t} too small" for t in found["small_targets"]]
        problems += [f"{view}: text clipped in {c}" for c in found["clipped"]]
        problems += [f"{view}: {o} outside the {found['width']} px viewport" for o in found["outside_viewport"]]
    return check("layout", problems, {"views": views})
