"""Screenshots of a loaded page as WebP: Chromium captures, this process encodes (`_webp`), through
the one capped image decoder."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import Callable

from PIL import Image
from playwright.sync_api import CDPSession, Page

from pipeline.browser.routing import Tab
from pipeline.media import raster

SCREENSHOT_MAX_PIXELS = 64_000_000  # Chromium stops at 16,384 px a side; a full page is far below this


def screenshot_webp(
    page: Page,
    *,
    full_page: bool = False,
    quality: int = 75,
    max_width: int | None = None,
    session: CDPSession | None = None,
) -> bytes:
    """A screenshot of the page as WebP bytes, optionally scaled down to `max_width` pixels.

    The viewport at full size is captured by DevTools (`_VIEWPORT_CAPTURE`, see `_viewport_webp`);
    `session` is the page's DevTools session if the caller keeps one (`Tab.session`), else one is
    opened for the shot. Full pages and scaled shots go through the one capped decoder."""
    if not full_page and not max_width:
        cdp = session or page.context.new_cdp_session(page)
        try:
            shot = cdp.send("Page.captureScreenshot", _VIEWPORT_CAPTURE)
        finally:
            if session is None:
                cdp.detach()
        return _viewport_webp(shot["data"], quality)
    png = page.screenshot(full_page=full_page, type="png", animations="disabled")
    return _webp(png, quality, method=4, max_width=max_width)


# Chromium encodes a near-lossless JPEG, and this process the WebP at libwebp's fastest method:
# Chromium's own WebP encoder cost more than both together. A gated page (two shots) went from
# 0.77 to 0.68 CPU-s, all processes counted, for WebP files about 30 % larger.
_VIEWPORT_CAPTURE = {"format": "jpeg", "quality": 95}


def _viewport_webp(data_b64: str, quality: int) -> bytes:
    return _webp(base64.b64decode(data_b64), quality, method=0)


def _webp(raw: bytes, quality: int, *, method: int, max_width: int | None = None) -> bytes:
    """A captured image as WebP, optionally scaled down to `max_width` pixels."""
    # through the one capped decoder: a hostile page can be made enormous (raises UnsafeAsset)
    img = raster.decode(raw, max_pixels=SCREENSHOT_MAX_PIXELS).convert("RGB")
    if max_width and img.width > max_width:
        img = img.resize((max_width, max(1, round(img.height * max_width / img.width))), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="WEBP", quality=quality, method=method)
    return out.getvalue()


def screenshot_later(tab: Tab, *, quality: int = 75) -> Callable[[], bytes]:
    """Ask Chromium for a screenshot of the viewport now and return the function that waits for it
    and gives it as WebP, so the capture (in the browser process) overlaps what the caller does next:
    axe-core in the renderer, or Python's own work. Playwright's sync API has no call that returns before its answer,
    so the request is a task on the driver's event loop (`_impl_obj`, `_loop`, `_sync`: Playwright
    1.65's sync internals); it is sent here, and the answer is collected on the next sync call or by
    the returned function. Without those internals the screenshot is taken at once."""
    session = tab.devtools()
    try:
        loop, impl, wait = session._loop, session._impl_obj, session._sync
    except AttributeError:  # another Playwright: no pending calls, take it now
        shot = screenshot_webp(tab.page, quality=quality, session=session)
        return lambda: shot
    task = loop.create_task(impl.send("Page.captureScreenshot", _VIEWPORT_CAPTURE, None))
    wait(asyncio.sleep(0))  # one turn of the driver's loop: the request leaves now

    def result() -> bytes:
        answer: dict[str, str] = wait(task)
        return _viewport_webp(answer["data"], quality)

    return result
