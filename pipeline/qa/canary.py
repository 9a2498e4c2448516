"""The visual canary: per layout, a fixed canary profile is built and screenshotted (desktop and
mobile, full page) and compared with a stored baseline. A pixel difference above
`canary_max_diff_ratio` means the layout itself broke (a template or CSS change, a browser update):
the email stage is paused and the reason logged and alerted. `pipeline canary approve LAYOUT`
takes a new baseline and lifts a canary pause.

The canary bundle is rendered from memory (`Browser.open(BUNDLE_ORIGIN, files=...)`): it is never
deployed and needs no network. Layout names come from `pipeline.render.themes.THEME_NAMES`.

Keys: pl:canary:baseline:<layout>:<view> (PNG, no TTL), pl:canary:last:<layout> (JSON result),
pl:canary:current:<layout>:<view> (PNG of the last check), pl:canary:checked:<layout> (interval lock).
"""

from __future__ import annotations

import base64
import io
import logging
from datetime import datetime

import redis
from PIL import Image, ImageChops, ImageDraw
from pydantic import BaseModel, Field

from pipeline import control
from pipeline.alerts import Alerter
from pipeline.browser import BUNDLE_ORIGIN, DESKTOP, MOBILE, Browser
from pipeline.media import raster
from pipeline.models import BrandProfile, LeadInput, LogoAsset, Palette, SiteBundle, utcnow
from pipeline.render.site import build_site
from pipeline.settings import Settings

log = logging.getLogger("pipeline.qa.canary")

PREFIX = "pl:canary:"
VIEWS = {"desktop": DESKTOP, "mobile": MOBILE}
SHOT_MAX_PIXELS = 60_000_000  # our own full-page screenshots, decoded through the one raster decoder
PIXEL_TOLERANCE = 24  # per-channel difference below this is antialiasing noise, not a change
EMAIL_STAGE = "email"
CANARY_KEY = "canary0000000000"
CANARY_LEAD = LeadInput(
    company="Canary Corner Bakery", website="https://canary.example.com/", email="hi@canary.example.com"
)


class CanaryResult(BaseModel):
    """One comparison of a layout's canary with its baseline."""

    layout: str
    status: str = Field(description="baseline-taken | ok | drift")
    diff_ratio: dict[str, float] = Field(default_factory=dict, description="view → share of pixels that changed")
    at: datetime = Field(default_factory=utcnow)
    detail: str = ""


def _logo() -> LogoAsset:
    image = Image.new("RGBA", (480, 192), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 16, 180, 176), fill=(196, 72, 40))
    draw.rectangle((220, 64, 460, 128), fill=(40, 40, 40))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return LogoAsset(media_type="image/png", data_b64=base64.b64encode(buf.getvalue()).decode(), source="canary")


def canary_profile() -> BrandProfile:
    """The fixed profile every layout's canary is built from (never changes between runs)."""
    return BrandProfile(
        name="Canary Corner Bakery",
        website="https://canary.example.com/",
        tagline="Bread, cakes and coffee since 1987",
        logo=_logo(),
        palette=Palette(primary="#c44828", secondary="#2f5d50", colors=["#c44828", "#2f5d50"]),
        phone="+44 20 7946 0111",
        email="hi@canary.example.com",
        address="3 Mill Lane, Canterbury CT1 2AB",
        social=["https://www.facebook.com/canarycorner"],
        language="en",
        paragraphs=[
            "A family bakery on the corner of Mill Lane, baking every morning from four o'clock.",
            "Sourdough, rye and seasonal cakes, with coffee roasted two streets away.",
        ],
        services=["Sourdough", "Celebration cakes", "Coffee", "Catering"],
        category="bakery",
    )


def canary_bundle(layout: str) -> SiteBundle:
    """The canary site of one layout."""
    return build_site(CANARY_LEAD, CANARY_KEY, canary_profile(), theme=layout)


def render(browser: Browser, bundle: SiteBundle) -> dict[str, bytes]:
    """Full-page PNG screenshots of a bundle at every canary view, rendered from memory."""
    files = {path: base64.b64decode(data) for path, data in bundle.files.items()}
    shots = {}
    for view, viewport in VIEWS.items():
        with browser.open(BUNDLE_ORIGIN, viewport=viewport, files=files) as tab:
            shots[view] = tab.page.screenshot(full_page=True, type="png", animations="disabled")
    return shots


def diff_ratio(baseline_png: bytes, current_png: bytes) -> float:
    """Share of pixels that differ beyond antialiasing noise; 1.0 when the page size changed."""
    a = raster.decode(baseline_png, max_pixels=SHOT_MAX_PIXELS).convert("RGB")
    b = raster.decode(current_png, max_pixels=SHOT_MAX_PIXELS).convert("RGB")
    if a.size != b.size:
        return 1.0
    delta = ImageChops.difference(a, b).convert("L")
    changed = sum(delta.point(lambda v: 255 if v >= PIXEL_TOLERANCE else 0).histogram()[255:])
    return changed / (delta.width * delta.height)


def _key(kind: str, layout: str, view: str | None = None) -> str:
    return f"{PREFIX}{kind}:{layout}" + (f":{view}" if view else "")


def approve(conn: redis.Redis, browser: Browser, layout: str) -> CanaryResult:
    """Take a new baseline for `layout` from what it renders now; lift a pause this layout's canary took."""
    shots = render(browser, canary_bundle(layout))
    with conn.pipeline(transaction=True) as pipe:
        for view, png in shots.items():
            pipe.set(_key("baseline", layout, view), png)
            pipe.set(_key("current", layout, view), png)
        pipe.delete(_key("checked", layout))
        pipe.execute()
    result = CanaryResult(layout=layout, status="baseline-taken", diff_ratio=dict.fromkeys(shots, 0.0))
    conn.set(_key("last", layout), result.model_dump_json())
    paused = control.paused_stages(conn).get(EMAIL_STAGE)
    if paused is not None and (paused.reason or "").startswith(f"canary {layout}:"):
        control.resume_stage(conn, EMAIL_STAGE)
        log.warning("canary %s: new baseline approved, email resumed", layout)
    return result


def check(
    conn: redis.Redis, settings: Settings, browser: Browser, layout: str, bundle: SiteBundle | None = None
) -> CanaryResult:
    """Compare `layout`'s canary with its baseline (taking one when there is none); on drift pause
    email and say why. `bundle` replaces the canary build (to test what a changed layout does)."""
    shots = render(browser, bundle or canary_bundle(layout))
    ratios: dict[str, float] = {}
    missing = False
    for view, png in shots.items():
        baseline = conn.get(_key("baseline", layout, view))
        conn.set(_key("current", layout, view), png)
        if baseline is None:
            conn.set(_key("baseline", layout, view), png)
            missing = True
            ratios[view] = 0.0
        else:
            ratios[view] = round(diff_ratio(bytes(baseline), png), 5)  # type: ignore[arg-type]
    worst_view = max(ratios, key=lambda v: ratios[v])
    if missing:
        result = CanaryResult(layout=layout, status="baseline-taken", diff_ratio=ratios)
    elif ratios[worst_view] > settings.canary_max_diff_ratio:
        reason = (
            f"canary {layout}: {ratios[worst_view]:.1%} of the {worst_view} canary differs from its baseline "
            f"(limit {settings.canary_max_diff_ratio:.1%}); check the layout, then `pipeline canary approve {layout}`"
        )
        control.pause_stage(conn, EMAIL_STAGE, reason, by="visual canary")
        log.error("email paused: %s", reason)
        _alert(conn, settings, layout, reason)
        result = CanaryResult(layout=layout, status="drift", diff_ratio=ratios, detail=reason)
    else:
        result = CanaryResult(layout=layout, status="ok", diff_ratio=ratios)
    conn.set(_key("last", layout), result.model_dump_json())
    return result


def check_due(conn: redis.Redis, settings: Settings, browser: Browser, layout: str) -> CanaryResult | None:
    """`check` at most once per `canary_interval_s` per layout across all workers; None when not due."""
    if not conn.set(_key("checked", layout), utcnow().isoformat(), nx=True, ex=settings.canary_interval_s):
        return None
    return check(conn, settings, browser, layout)


def last(conn: redis.Redis, layout: str) -> CanaryResult | None:
    """The last recorded result of a layout's canary."""
    raw = conn.get(_key("last", layout))
    return CanaryResult.model_validate_json(raw) if raw else None


def _alert(conn: redis.Redis, settings: Settings, layout: str, reason: str) -> None:
    Alerter(conn, settings).fire(f"canary:{layout}", reason, "critical")
