"""The renderer: the home page opened in Chromium with JavaScript off, every request answered by the
guarded fetcher (`pipeline.browser`), measured into `visual.Box`es (computed styles and positions of
the first screens) plus the colours of the logo's pixels from a screenshot.

Everything the page can do is bounded: the browser module's interception keeps the SSRF, size and
deadline guarantees, the measuring script reads at most `MAX_BOXES` elements, and any failure of the
browser leaves the scrape on the static parser (`observe` returns None and says why in `notes`).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FloatRect, Page

from pipeline.browser import SCREENSHOT_MAX_PIXELS, Allow, Browser, Vet, shared
from pipeline.errors import PipelineError
from pipeline.media import UnsafeAsset, raster
from pipeline.scrape.colors import color_selectors
from pipeline.scrape.colorvalue import is_neutral, parse_color
from pipeline.scrape.fetch import Response, same_origin
from pipeline.scrape.page import Site
from pipeline.scrape.visual import Box, LogoBox, Seen, logo_boxes
from pipeline.settings import Settings

log = logging.getLogger(__name__)

MAX_BOXES = 2500
WANTED_TYPES = frozenset({"document", "stylesheet", "image"})
# Runs in the page's isolated world (page scripts are off): one pass over the first screens.
_MEASURE = """
([maxBoxes, selectors]) => {
  const vw = innerWidth, vh = innerHeight, out = [], shown = {};
  // A link's or button's ::before/::after that paints a filled, button-sized box with words in it: the
  // button a visitor sees (the element's own box may be empty, its text only in `content`).
  const drawnButton = (el) => {
    for (const which of ['::before', '::after']) {
      const ps = getComputedStyle(el, which);
      const w = parseFloat(ps.width) || 0, h = parseFloat(ps.height) || 0;
      if (ps.content === 'none' || ps.content === 'normal' || ps.display === 'none') continue;
      if (ps.visibility !== 'visible' || w < 40 || h < 16 || w > 600 || h > 120) continue;
      const bg = ps.backgroundColor;
      if (!bg || bg === 'transparent' || (bg.startsWith('rgba(') && parseFloat(bg.split(',')[3]) < 0.5)) continue;
      return [which, ps, w, h];
    }
    return null;
  };
  for (const sel of selectors) {
    try { shown[sel] = document.querySelector(sel) !== null; } catch (e) { /* not a selector Chromium knows */ }
  }
  const home = new Set(['/', '/index.html', '/index.php', '/index.htm', '']);
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  for (let i = 0; i < all.length && out.length < maxBoxes; i++) {
    const el = all[i];
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' || tag === 'style' || tag === 'head' || tag === 'noscript') continue;
    const r = el.getBoundingClientRect();
    if (r.top > 3 * vh || r.bottom < -80 || r.left > vw || r.right < -300) continue;
    const drawn = tag === 'a' || tag === 'button' ? drawnButton(el) : null;
    if ((r.width < 2 || r.height < 2 || r.bottom < 0 || r.right < 0) && !drawn) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility !== 'visible' || parseFloat(cs.opacity) < 0.2) continue;
    let text = 0;
    for (const c of el.childNodes) if (c.nodeType === 3) text += c.textContent.trim().length;
    const cls = typeof el.className === 'string' ? el.className : (el.getAttribute('class') || '');
    const hint = [el.id, cls, el.getAttribute('alt') || '', el.getAttribute('role') || '',
                  el.getAttribute('aria-label') || ''].join(' ').slice(0, 160);
    const a = el.closest('a[href]');
    let around = a ? a.getAttribute('href') || '' : '';
    for (let p = el.parentElement, k = 0; p && p !== document.body && k < 4; p = p.parentElement, k++) {
      const pc = typeof p.className === 'string' ? p.className : (p.getAttribute('class') || '');
      around += ' ' + [p.id, pc, p.getAttribute('aria-label') || '', p.getAttribute('title') || ''].join(' ');
    }
    let homeLink = false;
    if (a) { try { const u = new URL(a.href); homeLink = u.origin === location.origin && home.has(u.pathname); }
             catch (e) {} }
    let src = '';
    if (tag === 'img') src = el.currentSrc || el.src || '';
    const bgi = cs.backgroundImage || '';
    let kind = tag;
    if (!src && bgi.startsWith('url(') && r.width < 700 && r.height < 320) {
      src = bgi.slice(4, -1).replace(/^["']|["']$/g, ''); kind = 'bg';
    }
    const inHeader = !!el.closest(
      'header, nav, [role=banner], [role=navigation], .navbar, #header, .header, .site-header, #masthead');
    const inFooter = !!el.closest('footer, [role=contentinfo], #footer, .footer, .site-footer');
    const context = ((el.getAttribute('title') || '') + ' ' + around).slice(0, 400);
    if (r.width >= 2 && r.height >= 2 && r.bottom >= 0 && r.right >= 0) {
      out.push([kind, hint, r.left, r.top, r.width, r.height, cs.color, cs.backgroundColor,
        bgi.includes('gradient') ? bgi.slice(0, 300) : '', cs.borderTopColor, parseFloat(cs.borderTopWidth) || 0,
        text, parseFloat(cs.fontSize) || 16, inHeader, inFooter, !!a, homeLink, src.slice(0, 2000), cs.fill || '',
        context]);
    }
    if (drawn) {
      const [which, ps, w, h] = drawn;
      out.push([tag + which, hint, r.left, r.top, w, h, ps.color, ps.backgroundColor, '', ps.borderTopColor,
        parseFloat(ps.borderTopWidth) || 0, ps.content === '""' ? 0 : 1, parseFloat(ps.fontSize) || 16,
        inHeader, inFooter, !!a, homeLink, '', '', context]);
    }
  }
  const meta = document.querySelector('meta[name="theme-color"]');
  return {vw, vh, boxes: out, shown, theme: meta ? meta.getAttribute('content') : null};
}
"""


def _box(row: list[Any]) -> Box:
    (
        tag,
        hint,
        x,
        y,
        w,
        h,
        color,
        bg,
        bgi,
        border,
        border_w,
        text,
        size,
        header,
        footer,
        link,
        home,
        src,
        fill,
        around,
    ) = row
    return Box(
        tag=str(tag),
        hint=str(hint),
        x=float(x),
        y=float(y),
        w=float(w),
        h=float(h),
        color=str(color),
        background=str(bg),
        background_image=str(bgi),
        border_color=str(border),
        border_width=float(border_w),
        text=int(text),
        font_size=float(size),
        header=bool(header),
        footer=bool(footer),
        link=bool(link),
        home_link=bool(home),
        src=str(src),
        fill=str(fill),
        around=str(around),
    )


def measure(page: Page, selectors: list[str]) -> Seen:
    """The boxes of a loaded page (its first three screens), which of `selectors` match anything
    on it, and its `theme-color`."""
    data = page.evaluate(_MEASURE, [MAX_BOXES, selectors])
    theme = parse_color(str(data["theme"])) if data.get("theme") else None
    return Seen(
        boxes=[_box(row) for row in data["boxes"]],
        width=float(data["vw"]),
        height=float(data["vh"]),
        theme_color=theme[0] if theme else None,
        shown={str(k): bool(v) for k, v in dict(data.get("shown") or {}).items()},
    )


def logo_pixels(page: Page, box: LogoBox, seen: Seen) -> list[tuple[str, float]]:
    """The chromatic colours of the logo as drawn on screen, (#rrggbb, share of its pixels)."""
    target = next((b for b in seen.boxes if b.src == box.src and b.tag in ("img", "svg", "bg")), None)
    if target is None or target.y < 0 or target.y + target.h > seen.height:
        return []
    clip: FloatRect = {"x": max(0.0, target.x), "y": target.y, "width": min(target.w, seen.width), "height": target.h}
    png = page.screenshot(clip=clip, type="png", animations="disabled")
    return dominant_colors(png)


def dominant_colors(png: bytes, limit: int = 3) -> list[tuple[str, float]]:
    """The few chromatic colours covering most of an image, with their share of all its pixels."""
    small = raster.decode(png, max_pixels=SCREENSHOT_MAX_PIXELS).convert("RGB").resize((48, 24))
    pixels = [tuple(int(v) for v in px) for px in small.get_flattened_data()]  # type: ignore[union-attr]
    counts = Counter(tuple(v // 16 * 16 + 8 for v in px) for px in pixels)
    total = sum(counts.values())
    out: list[tuple[str, float]] = []
    for rgb, n in counts.most_common(12):
        color = "#{:02x}{:02x}{:02x}".format(*rgb)
        if not is_neutral(color) and n / total >= 0.04:
            out.append((color, n / total))
    return out[:limit]


def wanted(settings: Settings) -> bool:
    """Whether to render: `on`, or `auto` with Chromium installed; `off` keeps the static parser only."""
    mode = settings.scrape_render
    return mode == "on" or (mode == "auto" and os.access(settings.chromium_path, os.X_OK))


def allow_for(site: Site, settings: Settings) -> Allow:
    """What the rendered page may load: its documents, stylesheets and images from the site's own
    origin (other hosts only when `scrape_offsite_assets` is on, as for the static crawl), nothing
    that already failed for the crawl; never fonts, media or anything a script would fetch: they
    show nothing about the brand's colours."""
    origin = site.home.url

    def allow(url: str, kind: str) -> bool:
        if kind not in WANTED_TYPES or url in site.failed:
            return False
        return settings.scrape_offsite_assets or same_origin(url, origin)

    return allow


def vet_for(settings: Settings) -> Vet:
    """Images whose header declares more pixels than the decoder's cap never reach Chromium."""

    def vet(url: str, kind: str, resp: Response) -> bool:
        if kind != "image":
            return True
        size = image_size(resp.content)
        return size is None or size[0] * size[1] <= settings.image_max_pixels

    return vet


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, WebP or JPEG header without decoding anything; None when
    the format is another or the header is unreadable."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if chunk == b"VP8 ":
            return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
            i += 2 + length
    return None


def observe(site: Site, settings: Settings, name: str, notes: list[str], browser: Browser | None = None) -> Seen | None:
    """Render the site's home page and measure it; None (with a note) when no browser is usable or
    the page fails."""
    url = site.home.url
    try:
        chromium = browser or shared(settings)
        with chromium.open(
            url, javascript=False, allow=allow_for(site, settings), prefetched=site.fetched, vet=vet_for(settings)
        ) as tab:
            seen = measure(tab.page, color_selectors(site))
            seen.requests = len(tab.requests)
            seen.refused = [r.url for r in tab.requests if r.blocked]
            ranked = logo_boxes(seen, name)
            if ranked:
                seen.logo_colors = logo_pixels(tab.page, ranked[0], seen)
            return seen
    except (PipelineError, PlaywrightError, UnsafeAsset, OSError, ValueError, KeyError, TypeError) as exc:
        log.info("render failed for %s: %s", url, exc)
        notes.append(f"render skipped, static parser used: {type(exc).__name__}: {str(exc)[:200]}")
        return None
