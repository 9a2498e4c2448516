"""Where a sanitised SVG's drawing really is, so a logo whose content runs past its own viewBox
(text set wider than the box, a shape off the edge) can be refitted instead of shown clipped.

The estimate is conservative and needs no renderer: shapes and paths by their points (control
points included, stroke half-widths added), text by its font size and character count (a generous
average advance), under the element's transforms. Definitions (gradients, clip paths, masks,
symbols) draw nothing and are skipped.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET  # only for types; parsing is defusedxml's

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

Box = tuple[float, float, float, float]  # min x, min y, max x, max y
Matrix = tuple[float, float, float, float, float, float]  # a b c d e f
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_SKIP = {"defs", "clipPath", "mask", "symbol", "pattern", "linearGradient", "radialGradient", "filter", "title",
         "desc", "style", "metadata", "use", "stop"}  # fmt: skip
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")
_ARGS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
CLIP_TOLERANCE = 0.02  # share of the viewBox a drawing may overhang before it counts as clipped
PAD = 0.04  # share of the longer side added around a refitted drawing


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def parse_transform(text: str) -> Matrix:
    """The matrix of an SVG `transform` attribute (identity for anything unreadable)."""
    m = IDENTITY
    for name, raw in _TRANSFORM.findall(text or ""):
        v = [float(x) for x in _NUM.findall(raw)]
        step = IDENTITY
        if name == "matrix" and len(v) == 6:
            step = (v[0], v[1], v[2], v[3], v[4], v[5])
        elif name == "translate" and v:
            step = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0.0)
        elif name == "scale" and v:
            step = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        elif name == "rotate" and v:
            r = math.radians(v[0])
            cx, cy = (v[1], v[2]) if len(v) == 3 else (0.0, 0.0)
            rot = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0.0, 0.0)
            step = _mul(_mul((1, 0, 0, 1, cx, cy), rot), (1, 0, 0, 1, -cx, -cy))
        elif name in ("skewX", "skewY") and v:
            t = math.tan(math.radians(v[0]))
            step = (1, 0, t, 1, 0, 0) if name == "skewX" else (1, t, 0, 1, 0, 0)
        m = _mul(m, step)
    return m


def _number(value: str | None, default: float = 0.0) -> float:
    match = _NUM.match((value or "").strip())
    return float(match.group(0)) if match else default


def _style(el: ET.Element, inherited: dict[str, str]) -> dict[str, str]:
    out = dict(inherited)
    for key in ("font-size", "font-family", "font-weight", "text-anchor", "stroke", "stroke-width"):
        if el.get(key):
            out[key] = str(el.get(key))
    for decl in str(el.get("style", "")).split(";"):
        key, _, value = decl.partition(":")
        if key.strip() in ("font-size", "font-family", "font-weight", "text-anchor", "stroke", "stroke-width"):
            out[key.strip()] = value.strip()
    return out


def _path_points(d: str) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    tokens = _PATH_TOKEN.findall(d or "")
    x = y = sx = sy = 0.0
    cmd, i = "M", 0
    while i < len(tokens):
        if tokens[i].isalpha():
            cmd, i = tokens[i], i + 1
            if cmd in "Zz":
                x, y = sx, sy
                continue
        n = _ARGS[cmd.upper()]
        if n == 0 or i + n > len(tokens) or any(t.isalpha() for t in tokens[i : i + n]):
            i += 1
            continue
        v = [float(t) for t in tokens[i : i + n]]
        i += n
        rel = cmd.islower()
        up = cmd.upper()
        if up == "H":
            x = x + v[0] if rel else v[0]
        elif up == "V":
            y = y + v[0] if rel else v[0]
        elif up == "A":
            nx, ny = (x + v[5], y + v[6]) if rel else (v[5], v[6])
            rx, ry = abs(v[0]), abs(v[1])
            points += [(min(x, nx) - rx, min(y, ny) - ry), (max(x, nx) + rx, max(y, ny) + ry)]  # generous
            x, y = nx, ny
        else:
            pairs = [(v[k], v[k + 1]) for k in range(0, n, 2)]
            for px, py in pairs[:-1]:
                points.append((x + px, y + py) if rel else (px, py))
            x, y = (x + pairs[-1][0], y + pairs[-1][1]) if rel else pairs[-1]
            if up == "M":
                sx, sy = x, y
                cmd = "l" if rel else "L"
        points.append((x, y))
    return points


def _text_box(el: ET.Element, style: dict[str, str]) -> list[tuple[float, float]]:
    size = _number(style.get("font-size"), 16.0)
    family = style.get("font-family", "").lower()
    advance = 0.55 if "serif" in family and "sans" not in family else 0.6
    advance *= 1.08 if style.get("font-weight", "") in ("bold", "700", "800", "900") else 1.0
    text = "".join(el.itertext())
    width = len(text.strip()) * size * advance
    x, y = _number(el.get("x")), _number(el.get("y"))
    anchor = style.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return [(left, y - 0.85 * size), (left + width, y + 0.25 * size)]


def _points(el: ET.Element, name: str, style: dict[str, str]) -> list[tuple[float, float]]:
    g = el.get
    if name == "rect":
        x, y, w, h = _number(g("x")), _number(g("y")), _number(g("width")), _number(g("height"))
        return [(x, y), (x + w, y + h)] if w > 0 and h > 0 else []
    if name in ("circle", "ellipse"):
        cx, cy = _number(g("cx")), _number(g("cy"))
        rx = _number(g("r")) if name == "circle" else _number(g("rx"))
        ry = _number(g("r")) if name == "circle" else _number(g("ry"))
        return [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    if name == "line":
        return [(_number(g("x1")), _number(g("y1"))), (_number(g("x2")), _number(g("y2")))]
    if name in ("polyline", "polygon"):
        v = [float(n) for n in _NUM.findall(g("points", ""))]
        return list(zip(v[0::2], v[1::2], strict=False))
    if name == "path":
        return _path_points(g("d", ""))
    if name == "text":
        return _text_box(el, style)
    return []


def _walk(el: ET.Element, m: Matrix, style: dict[str, str], out: list[Box], budget: list[int]) -> None:
    budget[0] -= 1
    name = _local(el.tag)
    if budget[0] < 0 or name in _SKIP or str(el.get("display", "")) == "none":
        return
    m = _mul(m, parse_transform(str(el.get("transform", ""))))
    style = _style(el, style)
    pts = _points(el, name, style)
    if name == "svg":  # a nested viewport clips its content: its box is its extent
        x, y = _number(el.get("x")), _number(el.get("y"))
        w, h = _number(el.get("width"), 0.0), _number(el.get("height"), 0.0)
        pts = [(x, y), (x + w, y + h)] if w > 0 and h > 0 else []
    if pts:
        a, b, c, d, e, f = m
        moved = [(a * x + c * y + e, b * x + d * y + f) for x, y in pts]
        half = _number(style.get("stroke-width"), 1.0) / 2 if style.get("stroke", "none") != "none" else 0.0
        xs, ys = [p[0] for p in moved], [p[1] for p in moved]
        out.append((min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half))
    if name not in ("text", "svg"):
        for child in el:
            _walk(child, m, style, out, budget)


def boxes(data: bytes) -> tuple[Box, Box] | None:
    """(viewBox, drawing's box) of a sanitised SVG, in user units; None when either is unknown."""
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    view = [float(v) for v in _NUM.findall(str(root.get("viewBox", "")))]
    if len(view) != 4 or view[2] <= 0 or view[3] <= 0:
        w, h = _number(root.get("width")), _number(root.get("height"))
        if w <= 0 or h <= 0:
            return None
        view = [0.0, 0.0, w, h]
    found: list[Box] = []
    for child in root:
        _walk(child, IDENTITY, _style(root, {}), found, [5000])
    if not found:
        return None
    drawing = (min(b[0] for b in found), min(b[1] for b in found), max(b[2] for b in found), max(b[3] for b in found))
    return (view[0], view[1], view[0] + view[2], view[1] + view[3]), drawing


def overhang(data: bytes) -> float:
    """How far (share of the viewBox's longer side) the drawing runs past the viewBox; 0 inside."""
    found = boxes(data)
    if found is None:
        return 0.0
    (vx0, vy0, vx1, vy1), (dx0, dy0, dx1, dy1) = found
    side = max(vx1 - vx0, vy1 - vy0)
    return max(0.0, vx0 - dx0, vy0 - dy0, dx1 - vx1, dy1 - vy1) / side


def refit(data: bytes) -> bytes | None:
    """The SVG with its viewBox (and width/height) grown to hold its whole drawing plus a little
    padding, when the drawing overhangs it by more than `CLIP_TOLERANCE`; None when it fits."""
    found = boxes(data)
    if found is None or overhang(data) <= CLIP_TOLERANCE:
        return None
    (vx0, vy0, vx1, vy1), (dx0, dy0, dx1, dy1) = found
    x0, y0, x1, y1 = min(vx0, dx0), min(vy0, dy0), max(vx1, dx1), max(vy1, dy1)
    pad = PAD * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    w, h = x1 - x0, y1 - y0
    head_end = data.index(b">", data.index(b"<svg")) if b"<svg" in data else -1
    if head_end < 0:
        return None
    root_tag = data[:head_end].decode()
    height = re.search(r'\sheight="([^"]*)"', root_tag)
    scale = _number(height.group(1), vy1 - vy0) / (vy1 - vy0) if height else 1.0  # keep the shown size
    head = re.sub(r'\s(viewBox|width|height)="[^"]*"', "", root_tag)
    head += f' viewBox="{_fmt(x0)} {_fmt(y0)} {_fmt(w)} {_fmt(h)}" width="{_fmt(w * scale)}" height="{_fmt(h * scale)}"'
    return head.encode() + data[head_end:]


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
