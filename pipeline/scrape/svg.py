"""SVG logos sanitised: parsed with defusedxml (no DTDs, no entity expansion), then rebuilt from an
allowlist of elements and attributes. Scripts, event handlers, `foreignObject`, animation, external
references (`href`, `url()` and `@import` to anything but `#fragment` or an embedded raster) go."""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from pipeline.errors import PermanentError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "textPath",
        "defs",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "use",
        "symbol",
        "title",
        "desc",
        "pattern",
        "filter",
        "feGaussianBlur",
        "feOffset",
        "feBlend",
        "feFlood",
        "feComposite",
        "feColorMatrix",
        "feMerge",
        "feMergeNode",
        "feDropShadow",
        "image",
        "marker",
        "style",
    ]
)
ATTRIBUTES = frozenset(
    [
        "id",
        "class",
        "x",
        "y",
        "x1",
        "x2",
        "y1",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "d",
        "points",
        "width",
        "height",
        "viewBox",
        "preserveAspectRatio",
        "transform",
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-opacity",
        "opacity",
        "clip-path",
        "clip-rule",
        "mask",
        "filter",
        "style",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "dominant-baseline",
        "letter-spacing",
        "dx",
        "dy",
        "rotate",
        "textLength",
        "lengthAdjust",
        "stdDeviation",
        "in",
        "in2",
        "result",
        "mode",
        "operator",
        "k1",
        "k2",
        "k3",
        "k4",
        "values",
        "type",
        "flood-color",
        "flood-opacity",
        "markerWidth",
        "markerHeight",
        "refX",
        "refY",
        "orient",
        "markerUnits",
        "href",
        "version",
        "display",
        "visibility",
        "color",
        "enable-background",
        "xml:space",
    ]
)
_ELEMENT_NAMES = {name.lower(): name for name in ELEMENTS}
_ATTRIBUTE_NAMES = {name.lower(): name for name in ATTRIBUTES if ":" not in name}
_EXTERNAL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import|expression\s*\(|javascript:|behavior\s*:", re.I)
_RASTER_DATA = re.compile(r"^data:image/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]+$", re.I)


class SvgRejected(PermanentError):
    """The bytes are not an SVG we can make safe."""


def _local(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        return ns, local
    return None, name


def sanitize(data: bytes, *, max_bytes: int = 1_000_000) -> tuple[bytes, int | None, int | None]:
    """A safe copy of an SVG document: (bytes, width, height) with sizes from width/height/viewBox."""
    if len(data) > max_bytes:
        raise SvgRejected(f"SVG larger than {max_bytes} bytes")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ET.ParseError, ValueError) as exc:
        raise SvgRejected(f"SVG refused: {type(exc).__name__}: {exc}") from exc
    _ns, local = _local(root.tag)
    if local != "svg":
        raise SvgRejected("not an SVG document")
    clean_root = _copy(root)
    if clean_root is None:
        raise SvgRejected("nothing safe left in the SVG")
    clean_root.set("xmlns", SVG_NS)
    width, height = _size(clean_root)
    return ET.tostring(clean_root, encoding="utf-8", xml_declaration=False), width, height


def _copy(node: ET.Element) -> ET.Element | None:
    """An allowlisted copy of `node`. Names are matched case-insensitively and written in their
    SVG spelling, since an inline SVG read by an HTML parser comes back lower-cased (`viewbox`)."""
    ns, local = _local(node.tag)
    tag = _ELEMENT_NAMES.get(local.lower())
    if ns not in (None, SVG_NS) or tag is None:
        return None
    out = ET.Element(tag)
    for key, value in node.attrib.items():
        ans, raw = _local(key)
        lowered = raw.lower()
        if (ans == XLINK_NS and lowered == "href") or (ans is None and lowered == "xlink:href"):
            lowered = "href"
        elif ans is not None:
            continue
        name = _ATTRIBUTE_NAMES.get(lowered)
        if name is None or lowered.startswith("on") or _EXTERNAL.search(value):
            continue
        if name == "href" and not (value.startswith("#") or (tag == "image" and _RASTER_DATA.match(value))):
            continue
        out.set(name, value)
    if tag == "style":
        text = node.text or ""
        if _EXTERNAL.search(text):
            return None
        out.text = text
        return out
    if tag == "image" and "href" not in out.attrib:
        return None
    out.text = node.text
    for child in node:
        copied = _copy(child)
        if copied is not None:
            copied.tail = child.tail
            out.append(copied)
    return out


def _size(root: ET.Element) -> tuple[int | None, int | None]:
    def number(value: str | None) -> int | None:
        match = re.match(r"\s*([\d.]+)\s*(px)?\s*$", value or "")
        return round(float(match[1])) if match else None

    width, height = number(root.get("width")), number(root.get("height"))
    if (width is None or height is None) and root.get("viewBox"):
        parts = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
        if len(parts) == 4:
            with contextlib.suppress(ValueError):
                width, height = round(float(parts[2])), round(float(parts[3]))
    return width, height
