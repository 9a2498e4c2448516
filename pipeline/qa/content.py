"""Content gate: the page says what the build meant it to say, and shows it.

The business name present (the same cleaned name the build used), the contact details present,
no placeholder text, the logo actually rendered (decoded, natural size > 0, not clipped by an
ancestor, the viewport or `object-fit`), the brand colour actually used somewhere on the page, and
no mixed content (an https page loading anything over http).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coloraide import Color

from pipeline.browser import Tab
from pipeline.models import GateCheck
from pipeline.qa import check

PLACEHOLDERS = re.compile(r"lorem ipsum|\{\{|\}\}|\{%|\bTODO\b|\bTBD\b|placeholder", re.IGNORECASE)
BRAND_DELTA_PASS = 3.0  # CIEDE2000: the same colour to the eye
BRAND_DELTA_REVIEW = 8.0  # close, but a person should look

_INSPECT = """() => {
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const attrs = [...document.querySelectorAll('[alt],[title],[aria-label]')]
    .map(e => ['alt', 'title', 'aria-label'].map(a => e.getAttribute(a) || '').join(' ')).join(' ');
  const colours = new Set();
  for (const el of [...document.querySelectorAll('body, body *')].slice(0, 3000)) {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    colours.add(s.color); colours.add(s.backgroundColor); colours.add(s.borderTopColor);
  }
  const logo = document.querySelector('img.logo');
  let info = null;
  if (logo) {
    const r = logo.getBoundingClientRect(), s = getComputedStyle(logo), clipped = [];
    for (let a = logo.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const as = getComputedStyle(a);
      if (as.overflowX === 'visible' && as.overflowY === 'visible' && as.clipPath === 'none') continue;
      const ar = a.getBoundingClientRect();
      if (r.left < ar.left - 1 || r.top < ar.top - 1 || r.right > ar.right + 1 || r.bottom > ar.bottom + 1)
        clipped.push('by ' + describe(a));
    }
    if (r.left < -1 || r.right > document.documentElement.clientWidth + 1) clipped.push('by the viewport');
    if (s.clipPath !== 'none') clipped.push('by its clip-path');
    if (logo.naturalWidth && r.width && r.height && s.objectFit === 'cover') {
      const a1 = logo.naturalWidth / logo.naturalHeight, a2 = r.width / r.height;
      if (Math.abs(a1 - a2) / a1 > 0.02) clipped.push('by object-fit: cover');
    }
    info = {complete: logo.complete, natural_width: logo.naturalWidth, natural_height: logo.naturalHeight,
            width: r.width, height: r.height, clipped: clipped,
            hidden: s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0};
  }
  return {
    text: document.body ? document.body.innerText : '',
    title: document.title,
    attributes: attrs,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    colours: [...colours],
    logo: info,
  };
}"""


@dataclass(frozen=True)
class Expected:
    """What the build put on the page: the cleaned name, contacts and brand colour (`#rrggbb`)."""

    name: str
    brand_color: str
    phone: str | None = None
    email: str | None = None
    logo: bool = True


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _nearest(colours: list[str], target: str) -> tuple[float, str | None]:
    goal = Color(target)
    best: tuple[float, str | None] = (1000.0, None)
    for css in colours:
        try:
            colour = Color(css)
        except ValueError:
            continue
        if colour.get("alpha") < 0.5:
            continue
        delta = float(goal.delta_e(colour.set("alpha", 1), method="2000"))
        if delta < best[0]:
            best = (delta, colour.convert("srgb").to_string(hex=True))
    return best


def _logo_problems(info: dict[str, Any] | None, expected: bool) -> list[str]:
    if not expected:
        return []
    if info is None:
        return ["no logo on the page"]
    if not info["complete"] or not info["natural_width"] or not info["natural_height"]:
        return ["the logo did not load (natural size 0)"]
    if info["hidden"] or info["width"] < 1 or info["height"] < 1:
        return ["the logo is not shown"]
    return [f"the logo is clipped {how}" for how in info["clipped"]]


def inspect(tab: Tab) -> dict[str, Any]:
    """What the page shows: text, title, labels, links, colours in use and the logo's box."""
    seen: dict[str, Any] = tab.page.evaluate(_INSPECT)
    return seen


def gate(tab: Tab, expected: Expected, seen: dict[str, Any] | None = None) -> GateCheck:
    """Check name, contacts, placeholders, logo, brand colour and mixed content (on `seen`, what
    `inspect` found, when the caller already has it)."""
    seen = inspect(tab) if seen is None else seen
    text, problems, review = _fold(seen["text"]), [], []
    if _fold(expected.name) not in text:
        problems.append(f"business name {expected.name!r} not on the page")
    links = [str(h) for h in seen["links"]]
    if expected.phone and not any(h.startswith("tel:") for h in links):
        problems.append("no phone link although the profile has a phone number")
    if expected.email and not any(h.lower().startswith(f"mailto:{expected.email.lower()}") for h in links):
        problems.append(f"no mailto link to {expected.email}")
    if not (expected.phone or expected.email):
        review.append("the site shows no phone number or email address")
    placeholder = PLACEHOLDERS.search(seen["text"]) or PLACEHOLDERS.search(seen["attributes"])
    if placeholder:
        problems.append(f"placeholder text {placeholder.group(0)!r}")
    problems += _logo_problems(seen["logo"], expected.logo)
    delta, nearest = _nearest([str(c) for c in seen["colours"]], expected.brand_color)
    if delta > BRAND_DELTA_REVIEW:
        problems.append(f"brand colour {expected.brand_color} not used (nearest {nearest}, ΔE {delta:.1f})")
    elif delta > BRAND_DELTA_PASS:
        review.append(f"brand colour {expected.brand_color} only approximated (nearest {nearest}, ΔE {delta:.1f})")
    if tab.url.startswith("https://"):
        insecure = [r.url for r in tab.requests if r.url.startswith("http://")]
        problems += [f"mixed content: {u}" for u in insecure[:5]]
    evidence = {
        "name": expected.name,
        "title": seen["title"],
        "logo": seen["logo"],
        "brand_color": expected.brand_color,
        "nearest_color": nearest,
        "brand_delta_e": round(delta, 2),
    }
    return check("content", problems, evidence, review)
