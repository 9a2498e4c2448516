"""SVG logos are untrusted: parsed with defusedxml (no DTD, no entities, nothing external), rebuilt
from ONE allowlist of elements and attributes and serialised by us, deterministically.

Only drawing elements and presentation attributes survive: no scripts, event handlers,
`foreignObject`, animation, links or `<image>` (an embedded raster would escape the pixel cap of
`media.raster`); `href` only to `#id`, `url()` only to `url(#id)`, no `@import`. Names are matched
case-insensitively and written in their SVG spelling, since an inline SVG read by an HTML parser
comes back lower-cased (`viewbox`). The root gets an explicit width and height from its viewBox.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only for types and ParseError; parsing is defusedxml's
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pipeline.media import UnsafeAsset

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_SVG_BYTES = 1_000_000
MAX_ELEMENTS = 5_000

ELEMENTS = frozenset(
    """svg g path rect circle ellipse line polyline polygon text tspan textPath defs symbol use title
    desc linearGradient radialGradient stop clipPath mask pattern marker style filter feGaussianBlur
    feOffset feBlend feColorMatrix feComposite feFlood feMerge feMergeNode feDropShadow""".split()  # noqa: SIM905 - a word list reads better than quoted strings
)
ATTRIBUTES = frozenset(
    """id class viewBox width height x y x1 y1 x2 y2 cx cy r rx ry fx fy d points transform fill
    fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin
    stroke-miterlimit stroke-dasharray stroke-dashoffset opacity clip-path clip-rule mask filter
    gradientUnits gradientTransform spreadMethod offset stop-color stop-opacity patternUnits
    patternContentUnits patternTransform preserveAspectRatio font-family font-size font-weight
    font-style text-anchor dominant-baseline letter-spacing dx dy rotate textLength lengthAdjust
    style href version clipPathUnits maskUnits maskContentUnits filterUnits primitiveUnits
    stdDeviation in in2 result mode values type operator k1 k2 k3 k4 flood-color flood-opacity
    markerWidth markerHeight refX refY orient markerUnits color display visibility vector-effect
    paint-order enable-background""".split()  # noqa: SIM905 - a word list reads better than quoted strings
)
_ELEMENT_NAMES = {name.lower(): name for name in ELEMENTS}
_ATTRIBUTE_NAMES = {name.lower(): name for name in ATTRIBUTES}
_TEXT_ELEMENTS = frozenset({"text", "tspan", "textPath", "title", "desc"})
_SAFE_CSS = re.compile(r"^[^<>@\\]*$")
_URL = re.compile(r"url\s*\(\s*['\"]?([^)'\"]*)", re.IGNORECASE)
_LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.:-]*$")
_ACTIVE = re.compile(r"javascript:|expression\s*\(|behavior\s*:|data:", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
# The DOCTYPE drawing programs write: the SVG DTD by reference (never loaded), and in Illustrator's
# exports an internal subset of plain text entities for the namespaces (`<!ENTITY ns_svg "http://…">`).
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+svg\b[^\[\]<>]*(?:\[([^\]]*)\])?\s*>", re.IGNORECASE)
_TEXT_ENTITY = re.compile(rb'\s*<!ENTITY\s+([A-Za-z_][\w.-]{0,40})\s+"([^"&<%]{0,200})"\s*>\s*')
_ENTITY_REF = re.compile(rb"&([A-Za-z_][\w.-]{0,40});")
MAX_TEXT_ENTITIES = 16


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _safe_css(text: str) -> bool:
    """No markup, at-rules (`@import`), escapes or active values; `url()` only to `#id`."""
    if not _SAFE_CSS.match(text) or _ACTIVE.search(text):
        return False
    return all(_LOCAL_REF.match(ref.strip()) for ref in _URL.findall(text))


def _safe_value(name: str, value: str) -> bool:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        return False
    if name == "href":
        return bool(_LOCAL_REF.match(value.strip()))
    return _safe_css(value)


def _attribute(key: str) -> str | None:
    """The allowlisted SVG spelling of an attribute name (`xlink:href` becomes `href`), or None."""
    ns, raw = _local(key)
    lowered = raw.lower()
    if (ns == XLINK_NS and lowered == "href") or (ns == "" and lowered == "xlink:href"):
        return "href"
    if ns != "":
        return None
    return _ATTRIBUTE_NAMES.get(lowered)


def _render(el: ET.Element, out: list[str], budget: list[int], root: bool = False) -> None:
    ns, raw = _local(el.tag if isinstance(el.tag, str) else "")
    name = _ELEMENT_NAMES.get(raw.lower())
    if ns not in ("", SVG_NS) or name is None:
        return
    budget[0] -= 1
    if budget[0] < 0:
        raise UnsafeAsset("SVG refused: too many elements")
    attrs: dict[str, str] = {"xmlns": SVG_NS} if root else {}
    for key, value in el.attrib.items():
        attr = _attribute(key)
        if attr is not None and attr not in attrs and _safe_value(attr, value):
            attrs[attr] = value
    if root:
        attrs = _with_size(attrs)
    out.append("<" + name + "".join(f" {a}={quoteattr(v)}" for a, v in attrs.items()) + ">")
    text = el.text or ""
    if name == "style":
        out.append(escape(text) if _safe_css(text) else "")
    else:
        if name in _TEXT_ELEMENTS:
            out.append(escape(text))
        for child in el:
            _render(child, out, budget)
            if name in _TEXT_ELEMENTS:
                out.append(escape(child.tail or ""))
    out.append(f"</{name}>")


def _with_size(attrs: dict[str, str]) -> dict[str, str]:
    """Give the root explicit width/height from its viewBox so it sizes the same everywhere."""
    if _NUMBER.match(attrs.get("width", "")) and _NUMBER.match(attrs.get("height", "")):
        return attrs
    box = attrs.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            w, h = float(box[2]), float(box[3])
        except ValueError:
            return attrs
        if w > 0 and h > 0:
            kept = {a: v for a, v in attrs.items() if a not in ("width", "height")}
            return {**kept, "width": f"{w:g}", "height": f"{h:g}"}
    return attrs


def sanitize(data: bytes, *, max_bytes: int = MAX_SVG_BYTES) -> bytes:
    """Clean SVG bytes; raises `UnsafeAsset` when the input is not SVG or nothing safe remains."""
    if len(data) > max_bytes:
        raise UnsafeAsset(f"SVG larger than {max_bytes} bytes")
    data = _drawing_program_doctype(data, max_bytes)
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise UnsafeAsset(f"SVG refused: {type(exc).__name__}: {exc}") from None
    if _local(root.tag)[1].lower() != "svg":
        raise UnsafeAsset("not an SVG document")
    out: list[str] = []
    _render(root, out, [MAX_ELEMENTS], root=True)
    return "".join(out).encode()


def _drawing_program_doctype(data: bytes, max_bytes: int) -> bytes:
    """`data` without a DOCTYPE that only names the SVG DTD and declares plain text entities, those
    entities expanded; anything else (parameter, external or nested entities, other markup in the
    subset) is left in place for defusedxml to refuse. A text entity holds no `&`, `<` or `%`, so
    expanding it cannot nest, and the result is held to `max_bytes`."""
    match = _DOCTYPE.search(data, 0, 4096)
    if match is None:
        return data
    subset, pos = match[1] or b"", 0
    entities: dict[bytes, bytes] = {}
    while pos < len(subset):
        entity = _TEXT_ENTITY.match(subset, pos)
        if entity is None or len(entities) >= MAX_TEXT_ENTITIES:
            return data
        entities[entity[1]] = entity[2]
        pos = entity.end()
    out = data[: match.start()] + data[match.end() :]
    if entities:
        out = _ENTITY_REF.sub(lambda ref: entities.get(ref[1], ref[0]), out)
    if len(out) > max_bytes:
        raise UnsafeAsset(f"SVG larger than {max_bytes} bytes")
    return out


def size(data: bytes) -> tuple[int, int] | None:
    """Intrinsic (width, height) in whole pixels of a sanitised SVG, from its root attributes."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    w, h = _NUMBER.match(root.get("width", "")), _NUMBER.match(root.get("height", ""))
    if w and h and float(w.group(1)) > 0 and float(h.group(1)) > 0:
        return max(1, round(float(w.group(1)))), max(1, round(float(h.group(1))))
    return None
