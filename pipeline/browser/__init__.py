"""The one place the pipeline drives a browser: Debian's Chromium under Playwright's sync API.

The browser is a renderer, never a network client (../shared/DESIGN.md). Every request a page makes
is intercepted (`context.route("**/*")`) and answered by the scraper's guarded `Fetcher`, so the
address guard, size cap and deadline hold for the browser exactly as for the scraper. Whatever could
still open a connection by itself (preconnect, DNS prefetch, WebRTC, background services) meets a
proxy that does not exist and a resolver that knows no name; websockets are refused and service
workers blocked.

    browser = Browser(settings)                  # lazy: Chromium starts on first use
    with browser.page(url, javascript=False) as page:
        page.title()                             # a loaded Playwright Page in a fresh context
    with browser.open(url, viewport=MOBILE) as tab:
        tab.requests                             # every request, as the guarded fetcher answered it
        screenshot_webp(tab.page)

One Playwright driver and one warm browser per worker process (`shared(settings)`), a fresh context
per site, restarted after a crash or every `browser_restart_after_sites` sites. A browser crash is a `TransientError`.
Playwright's sync API is bound to the thread that started it: use a `Browser` from one thread.

One module per part, all re-exported here: `launch` (Chromium's switches, the Playwright driver),
`routing` (every request through the guarded fetcher), `chromium` (the `Browser`: life cycle and
pages), `warm` (the reused page and its scrub between sites), `screenshots` (captures as WebP).
"""

from __future__ import annotations

from pipeline.browser.chromium import DESKTOP, MOBILE, Browser, shared
from pipeline.browser.launch import CHROMIUM_ARGS, DISABLED_FEATURES, PLAYWRIGHT_DISABLED_FEATURES, SINK_PROXY, driver
from pipeline.browser.routing import BUNDLE_ORIGIN, Allow, Served, Tab, Vet, status_of
from pipeline.browser.screenshots import SCREENSHOT_MAX_PIXELS, screenshot_later, screenshot_webp

__all__ = [
    "BUNDLE_ORIGIN",
    "CHROMIUM_ARGS",
    "DESKTOP",
    "DISABLED_FEATURES",
    "MOBILE",
    "PLAYWRIGHT_DISABLED_FEATURES",
    "SCREENSHOT_MAX_PIXELS",
    "SINK_PROXY",
    "Allow",
    "Browser",
    "Served",
    "Tab",
    "Vet",
    "driver",
    "screenshot_later",
    "screenshot_webp",
    "shared",
    "status_of",
]
