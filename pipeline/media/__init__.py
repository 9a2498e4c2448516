"""Untrusted images made safe, in one place to audit (as httpx keeps one URL parser): one SVG
allowlist (`svg`), one raster decoder with its pixel cap (`raster`), one monogram generator
(`monogram`), one error type. The scrape stage (storing a logo) and the render stage (building the
site's files) both go through here."""

from __future__ import annotations

from pipeline.errors import PermanentError


class UnsafeAsset(PermanentError):
    """The bytes are not an image we can make safe (not decodable, a bomb, not SVG, nothing left)."""


__all__ = ["UnsafeAsset"]
