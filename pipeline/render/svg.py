"""SVG logos are untrusted: parsed with defusedxml, rebuilt from an allowlist, serialised by us.

Only drawing elements and presentation attributes survive; no scripts, event handlers, external
references (`href` only to `#id`, `url()` only to `url(#id)`), `foreignObject`, animation or
`<image>`. The output is plain SVG in the SVG namespace, deterministic for a given input.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for types and ParseError; parsing is defusedxml's
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_SVG_BYTES = 300_000
MAX_ELEMENTS = 5_000

ELEMENTS = frozenset(
    """svg g path rect circle ellipse line polyline polygon text tspan defs symbol use title desc
    linearGradient radialGradient stop clipPath mask pattern style filter feGaussianBlur feOffset
    feBlend feColorMatrix feComposite feFlood feMerge feMergeNode""".split()  # noqa: SIM905 - a word list reads better than 80 quoted strings
)
ATTRIBUTES = frozenset(
    """id class viewBox width height x y x1 y1 x2 y2 cx cy r rx ry d points transform fill
    fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin
    stroke-miterlimit stroke-dasharray stroke-dashoffset opacity clip-path clip-rule mask
    gradientUnits gradientTransform spreadMethod offset stop-color stop-opacity fx fy
    patternUnits patternTransform preserveAspectRatio font-family font-size font-weight
    font-style text-anchor dominant-baseline letter-spacing dx dy style href version
    clipPathUnits maskUnits maskContentUnits filterUnits primitiveUnits stdDeviation in in2 result
    mode values type operator k1 k2 k3 k4 flood-color flood-opacity color display visibility
    vector-effect paint-order""".split()  # noqa: SIM905 - a word list reads better than 80 quoted strings
)
_SAFE_CSS = re.compile(r"^[^<>@\\]*$")
_URL = re.compile(r"url\s*\(\s*['\"]?([^)'\"]*)", re.IGNORECASE)
_LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.:-]*$")
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


class UnsafeSvg(ValueError):
    """The bytes are not an SVG we can keep."""


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _safe_value(name: str, value: str) -> bool:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        return False
    if name == "href":
        return bool(_LOCAL_REF.match(value.strip()))
    lowered = value.lower()
    if "javascript:" in lowered or "expression(" in lowered:
        return False
    if name == "style" and not _SAFE_CSS.match(value):
        return False
    return all(_LOCAL_REF.match(ref.strip()) for ref in _URL.findall(value))


def _safe_style_text(text: str) -> bool:
    return bool(_SAFE_CSS.match(text)) and all(_LOCAL_REF.match(r.strip()) for r in _URL.findall(text))


def _render(el: ET.Element, out: list[str], budget: list[int], root: bool = False) -> None:
    ns, name = _local(el.tag if isinstance(el.tag, str) else "")
    if ns not in ("", SVG_NS) or name not in ELEMENTS:
        return
    budget[0] -= 1
    if budget[0] < 0:
        raise UnsafeSvg("too many elements")
    attrs: list[tuple[str, str]] = [("xmlns", SVG_NS)] if root else []
    for key, value in el.attrib.items():
        attr_ns, attr = _local(key)
        if attr_ns not in ("", XLINK_NS) or (attr_ns == XLINK_NS and attr != "href"):
            continue
        if attr in ATTRIBUTES and _safe_value(attr, value) and attr not in {a for a, _ in attrs}:
            attrs.append((attr, value))
    if root:
        attrs = _with_size(attrs)
    out.append("<" + name + "".join(f" {a}={quoteattr(v)}" for a, v in attrs) + ">")
    text = el.text or ""
    if name == "style":
        out.append(escape(text) if _safe_style_text(text) else "")
    else:
        if name in ("text", "tspan", "title", "desc"):
            out.append(escape(text))
        for child in el:
            _render(child, out, budget)
            if name in ("text", "tspan"):
                out.append(escape(child.tail or ""))
    out.append(f"</{name}>")


def _with_size(attrs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Give the root explicit width/height from its viewBox so it sizes the same everywhere."""
    have = dict(attrs)
    if _NUMBER.match(have.get("width", "")) and _NUMBER.match(have.get("height", "")):
        return attrs
    box = have.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            w, h = float(box[2]), float(box[3])
        except ValueError:
            return attrs
        if w > 0 and h > 0:
            kept = [(a, v) for a, v in attrs if a not in ("width", "height")]
            return [*kept, ("width", f"{w:g}"), ("height", f"{h:g}")]
    return attrs


def sanitise_svg(data: bytes) -> bytes:
    """Clean SVG bytes; raises UnsafeSvg when nothing safe and usable remains."""
    if len(data) > MAX_SVG_BYTES:
        raise UnsafeSvg("svg too large")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise UnsafeSvg(f"not parseable: {exc}") from None
    if _local(root.tag)[1] != "svg":
        raise UnsafeSvg("root is not <svg>")
    out: list[str] = []
    _render(root, out, [MAX_ELEMENTS], root=True)
    return "".join(out).encode()


def svg_size(data: bytes) -> tuple[float, float] | None:
    """Intrinsic (width, height) of a sanitised SVG, from its root attributes."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    w, h = _NUMBER.match(root.get("width", "")), _NUMBER.match(root.get("height", ""))
    if w and h and float(w.group(1)) > 0 and float(h.group(1)) > 0:
        return float(w.group(1)), float(h.group(1))
    return None
