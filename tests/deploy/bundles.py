"""Small hand-made bundles for the deploy tests."""

from __future__ import annotations

import base64
import hashlib

from pipeline.models import SiteBundle

SLUG = "acme-bakery-0123abcd"


def bundle(text: str, slug: str = SLUG, extra: dict[str, bytes] | None = None) -> SiteBundle:
    """A bundle whose index.html says `text` (padded so a torn read would show), hashed like a build."""
    files = {"index.html": (f"<!doctype html><title>{text}</title>" + text * 2000).encode(), **(extra or {})}
    digest = hashlib.sha256(b"".join(k.encode() + v for k, v in sorted(files.items()))).hexdigest()[:16]
    return SiteBundle(
        slug=slug,
        theme="test",
        files={k: base64.b64encode(v).decode() for k, v in files.items()},
        content_hash=digest,
    )
