"""The deploy target interface: where built bundles are published.

A target publishes a bundle atomically under a stable URL, remembers the previous version for
`rollback`, treats re-publishing the current version as a no-op, and makes `undeploy` (the
compensation for a failed send or a rejected review) idempotent. The local web root is the
default (`local.LocalWebRoot`); another target (an S3-compatible bucket, rsync over SSH) is one
new subclass registered in `pipeline.deploy.TARGETS`.
"""

from __future__ import annotations

import base64
import binascii
import re
from abc import ABC, abstractmethod

from pipeline.errors import PermanentError
from pipeline.models import DeployResult, SiteBundle

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
VERSION = re.compile(r"^[0-9a-f]{8,64}$")
BUNDLE_PATH = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,99}/){0,4}[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")


class UnsafeSlug(PermanentError):
    """A slug that could leave the web root or collide with the target's own bookkeeping."""


def check_slug(slug: str) -> str:
    """`slug` when it is lower-case letters, digits and inner hyphens only; else UnsafeSlug."""
    if not isinstance(slug, str) or not SLUG.match(slug) or "--" in slug:
        raise UnsafeSlug(f"unsafe site slug {slug!r}")
    return slug


def bundle_files(bundle: SiteBundle) -> dict[str, bytes]:
    """The bundle's files decoded, every path checked to stay inside the site; version checked."""
    if not VERSION.match(bundle.content_hash):
        raise PermanentError(f"bundle version {bundle.content_hash!r} is not a content hash")
    files: dict[str, bytes] = {}
    for rel, data in sorted(bundle.files.items()):
        if not BUNDLE_PATH.match(rel) or ".." in rel.split("/"):
            raise PermanentError(f"bundle path escapes the site or is unsafe: {rel!r}")
        try:
            files[rel] = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise PermanentError(f"bundle file {rel!r} is not base64") from None
    if "index.html" not in files:
        raise PermanentError("bundle has no index.html")
    return files


class DeployTarget(ABC):
    """Somewhere sites are published. Every method takes a checked slug (see `check_slug`)."""

    name: str = "abstract"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    def url_for(self, slug: str) -> str:
        """The public URL of a site: base URL + slug + `/`."""
        return f"{self.base_url}{check_slug(slug)}/"

    @abstractmethod
    def publish(self, bundle: SiteBundle) -> DeployResult:
        """Make `bundle` the live version of its slug, atomically; a no-op when it already is."""

    @abstractmethod
    def rollback(self, slug: str) -> DeployResult:
        """Swap the live and previous versions; PermanentError when there is no previous one."""

    @abstractmethod
    def undeploy(self, slug: str) -> bool:
        """Take the site down with all its versions; True when something was removed. Idempotent."""

    @abstractmethod
    def current_version(self, slug: str) -> str | None:
        """The live version (content hash) of a site, None when it is not published."""

    @abstractmethod
    def previous_version(self, slug: str) -> str | None:
        """The version `rollback` would restore, None when there is none."""
