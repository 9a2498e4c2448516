"""The default deploy target: a local web root that the preview server (or nginx) serves.

Layout under the root (`var/sites/` by default):

    <slug>                       symlink → .versions/<slug>/<version>   (what is served)
    .versions/<slug>/<version>/  one complete bundle per version, written before it goes live
    .versions/<slug>/previous    symlink → <version>                    (what rollback restores)
    .locks/<slug>.lock           flock: one publish/rollback/undeploy of a slug at a time

Going live is one `os.replace` of the slug symlink: a reader sees the old version or the new one,
never a mix. Old versions beyond `keep_versions` are pruned, never the live or previous one.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.deploy.target import VERSION, DeployTarget, bundle_files, check_slug
from pipeline.errors import PermanentError, TransientError
from pipeline.models import DeployResult, SiteBundle
from pipeline.settings import Settings


class LocalWebRoot(DeployTarget):
    """Versioned directories and an atomically switched symlink per site, on the local disk."""

    name = "local"

    def __init__(self, root: Path, base_url: str, keep_versions: int = 3) -> None:
        super().__init__(base_url)
        self.root = Path(root).absolute()
        self.keep_versions = max(2, keep_versions)

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalWebRoot:
        """The web root of the settings (`var/sites/`), published under `site_base_url`."""
        return cls(settings.sites_dir, settings.site_base_url, settings.deploy_keep_versions)

    # --- paths -------------------------------------------------------------------------------
    def _link(self, slug: str) -> Path:
        return self.root / slug

    def _versions(self, slug: str) -> Path:
        return self.root / ".versions" / slug

    @contextmanager
    def _locked(self, slug: str) -> Iterator[None]:
        locks = self.root / ".locks"
        try:
            locks.mkdir(parents=True, exist_ok=True)
            fd = os.open(locks / f"{slug}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise TransientError(f"cannot lock site {slug}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        except OSError as exc:
            raise TransientError(f"deploying site {slug} failed: {exc}") from exc
        finally:
            os.close(fd)  # closing releases the flock

    @staticmethod
    def _read_pointer(link: Path) -> str | None:
        try:
            version = os.path.basename(os.readlink(link))
        except OSError:
            return None
        return version if VERSION.match(version) else None

    def _swap_link(self, link: Path, target: str) -> None:
        """Point `link` at `target` in one rename: readers see the old or the new, never neither."""
        tmp = link.with_name(f".{link.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        try:
            os.replace(tmp, link)
        except IsADirectoryError:
            tmp.unlink(missing_ok=True)
            raise PermanentError(f"{link} is a real directory, not a deployed site link") from None

    # --- queries -----------------------------------------------------------------------------
    def current_version(self, slug: str) -> str | None:
        """The live version of a site, None when it is not published."""
        version = self._read_pointer(self._link(check_slug(slug)))
        return version if version and (self._versions(slug) / version).is_dir() else None

    def previous_version(self, slug: str) -> str | None:
        """The version rollback would restore, None when there is none."""
        version = self._read_pointer(self._versions(check_slug(slug)) / "previous")
        return version if version and (self._versions(slug) / version).is_dir() else None

    # --- changes -----------------------------------------------------------------------------
    def publish(self, bundle: SiteBundle) -> DeployResult:
        """Write the bundle's version directory (once), then switch the site's link to it."""
        slug, version = check_slug(bundle.slug), bundle.content_hash
        files = bundle_files(bundle)
        with self._locked(slug):
            current = self.current_version(slug)
            if current == version:
                previous = self.previous_version(slug)
                return DeployResult(
                    url=self.url_for(slug), version=version, target=self.name, changed=False, previous=previous
                )
            versions = self._versions(slug)
            versions.mkdir(parents=True, exist_ok=True)
            if not (versions / version).is_dir():
                self._write_version(versions, version, files)
            if current:
                self._swap_link(versions / "previous", current)
            self._swap_link(self._link(slug), f".versions/{slug}/{version}")
            self._prune(slug, keep={version, current or version})
        return DeployResult(url=self.url_for(slug), version=version, target=self.name, previous=current)

    @staticmethod
    def _write_version(versions: Path, version: str, files: dict[str, bytes]) -> None:
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=versions))
        try:
            for rel, data in files.items():
                path = tmp / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            tmp.chmod(0o755)
            os.rename(tmp, versions / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _prune(self, slug: str, keep: set[str]) -> None:
        versions = self._versions(slug)
        others = [p for p in versions.iterdir() if VERSION.match(p.name) and p.name not in keep]
        others.sort(key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
        for stale in others[max(0, self.keep_versions - len(keep)) :]:
            shutil.rmtree(stale, ignore_errors=True)
        for leftover in versions.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def rollback(self, slug: str) -> DeployResult:
        """Make the previous version live again; the version it replaces becomes the previous one."""
        check_slug(slug)
        with self._locked(slug):
            current, previous = self.current_version(slug), self.previous_version(slug)
            if previous is None or previous == current:
                raise PermanentError(f"site {slug} has no previous version to roll back to")
            if current:
                self._swap_link(self._versions(slug) / "previous", current)
            self._swap_link(self._link(slug), f".versions/{slug}/{previous}")
        return DeployResult(url=self.url_for(slug), version=previous, target=self.name, previous=current)

    def undeploy(self, slug: str) -> bool:
        """Remove the site's link and every version; True when anything was there."""
        check_slug(slug)
        with self._locked(slug):
            link, versions = self._link(slug), self._versions(slug)
            existed = link.is_symlink() or versions.exists()
            if link.is_symlink():
                link.unlink()
            shutil.rmtree(versions, ignore_errors=True)
        return existed
