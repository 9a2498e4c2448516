"""How Chromium is started: the switches that keep it off the network, and the one Playwright driver.

Whatever could open a connection by itself, outside the interception (preconnect, DNS prefetch,
WebRTC, background services), meets a proxy that does not exist and a resolver that knows no name.
"""

from __future__ import annotations

import atexit
import contextlib

from playwright.sync_api import Browser as PWBrowser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright, sync_playwright

from pipeline.errors import TransientError
from pipeline.settings import Settings

# A proxy nobody listens on (the discard port) and a resolver that knows no name: a connection the
# browser tried to open by itself, outside the interception, fails on loopback instead of leaving.
SINK_PROXY = "http://127.0.0.1:9"
# Chromium keeps only the last --disable-features switch, so ours repeats the list Playwright passes
# (1.65; tests/test_browser.py fails when a Playwright upgrade changes it) and adds what the new
# headless mode (the whole browser) runs for a person at a screen: the omnibox's WebUI popups, which
# it preloads in a renderer of their own on the first page of every launch (that renderer and its
# upkeep in the browser process: ~1.4 CPU-s per launch and ~0.1 CPU-s per page gated), and
# Translate's language detection of every page loaded (~0.04 CPU-s a page).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay",
    "MediaRouter",
    "PaintHolding",
    "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin",
    "OptimizationHints",
    "NetworkTimeServiceQuerying",
    "AimEnabled",
    "PreconnectToSearch",
    "msForceBrowserSignIn",
    "msEdgeUpdateLaunchServicesPreferredVersion",
)
DISABLED_FEATURES = (
    *PLAYWRIGHT_DISABLED_FEATURES,
    "WebUIOmniboxPopup",
    "WebUIOmniboxAimPopup",
    "PreloadTopChromeWebUI",
    "Translate",
)
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--no-pings",
    "--dns-prefetch-disable",
    f"--proxy-server={SINK_PROXY}",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)


def launch(settings: Settings) -> PWBrowser:
    """Start Debian's Chromium with our switches; a browser that does not start is a `TransientError`."""
    try:
        return driver().chromium.launch(
            executable_path=str(settings.chromium_path),
            args=list(CHROMIUM_ARGS),
            timeout=settings.browser_timeout_s * 1000,
        )
    except PlaywrightError as exc:
        raise TransientError(f"chromium did not start ({settings.chromium_path}): {exc}") from exc


_playwright: Playwright | None = None


def driver() -> Playwright:
    """Playwright's driver, one per process (its sync API allows a single instance per thread)."""
    global _playwright
    if _playwright is None:
        _playwright = sync_playwright().start()
        atexit.register(_stop_driver)
    return _playwright


def _stop_driver() -> None:
    global _playwright
    if _playwright is not None:
        driver, _playwright = _playwright, None
        with contextlib.suppress(PlaywrightError):  # the driver died with the process it served
            driver.stop()
