"""Deploy stage: site bundle → published site at a stable URL. `undeploy` is its compensation.

Thin version of the walking skeleton: the local web root. Each version is written to
`var/sites/.versions/<slug>/<hash>/`, then `var/sites/<slug>` (a symlink) is switched atomically.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from pathlib import Path

from pipeline.errors import PermanentError
from pipeline.models import DeployResult, SiteBundle, Stage
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


def _checked_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise PermanentError(f"unsafe site slug {slug!r}")
    return slug


def publish(bundle: SiteBundle, web_root: Path, base_url: str) -> DeployResult:
    """Write the bundle's version directory (once) and switch the site's symlink to it."""
    slug = _checked_slug(bundle.slug)
    version_dir = web_root / ".versions" / slug / bundle.content_hash
    if not version_dir.exists():
        tmp = version_dir.with_name(f".tmp-{bundle.content_hash}-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        for rel, data in bundle.files.items():
            target = (tmp / rel).resolve()
            if not target.is_relative_to(tmp.resolve()):
                raise PermanentError(f"bundle path escapes the site: {rel!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base64.b64decode(data))
        tmp.rename(version_dir)
    link = web_root / slug
    tmp_link = web_root / f".{slug}.tmp-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(version_dir.relative_to(web_root))
    os.replace(tmp_link, link)
    return DeployResult(url=f"{base_url}{slug}/", version=bundle.content_hash)


def undeploy(slug: str, web_root: Path) -> bool:
    """Remove a published site and its versions; idempotent. True when something was removed."""
    slug = _checked_slug(slug)
    link = web_root / slug
    existed = link.is_symlink() or link.exists()
    link.unlink(missing_ok=True)
    shutil.rmtree(web_root / ".versions" / slug, ignore_errors=True)
    return existed


def run(ctx: StageContext) -> StageResult:
    """Job adapter: publish the built bundle to the local web root."""
    bundle = ctx.load(Stage.BUILD, SiteBundle)
    settings: Settings = ctx.settings
    settings.sites_dir.mkdir(parents=True, exist_ok=True)
    result = publish(bundle, settings.sites_dir.resolve(), settings.site_base_url)
    return StageResult(output=result, site_url=result.url)
