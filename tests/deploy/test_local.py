"""The local web root: atomic publish, no-op re-deploy, rollback, idempotent undeploy, safe slugs."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest

from pipeline.deploy import TARGETS, LocalWebRoot, UnsafeSlug, target_for
from pipeline.errors import PermanentError
from pipeline.settings import Settings
from pipeline.stages.deploy import undeploy_lead
from tests.deploy.bundles import SLUG, bundle

BASE = "http://127.0.0.1:8700/"


@pytest.fixture
def target(tmp_path: Path) -> LocalWebRoot:
    return LocalWebRoot(tmp_path / "sites", BASE)


def live_text(target: LocalWebRoot, slug: str = SLUG) -> str:
    return (target.root / slug / "index.html").read_text()[:200]


def test_publishing_makes_the_bundle_live_at_its_url(target: LocalWebRoot) -> None:
    result = target.publish(bundle("one"))
    assert result.url == f"{BASE}{SLUG}/"
    assert result.changed and result.previous is None
    assert "one" in live_text(target)
    assert (target.root / SLUG).is_symlink()
    assert target.current_version(SLUG) == bundle("one").content_hash


def test_redeploying_the_live_version_is_a_no_op(target: LocalWebRoot) -> None:
    target.publish(bundle("one"))
    link_before = (target.root / SLUG).lstat().st_mtime_ns
    again = target.publish(bundle("one"))
    assert not again.changed and again.version == bundle("one").content_hash
    assert (target.root / SLUG).lstat().st_mtime_ns == link_before


def test_a_new_version_keeps_the_previous_one_for_rollback(target: LocalWebRoot) -> None:
    target.publish(bundle("one"))
    second = target.publish(bundle("two"))
    assert second.previous == bundle("one").content_hash
    assert "two" in live_text(target)

    back = target.rollback(SLUG)

    assert back.version == bundle("one").content_hash and "one" in live_text(target)
    assert target.previous_version(SLUG) == bundle("two").content_hash
    target.rollback(SLUG)  # rolling back twice undoes the rollback
    assert "two" in live_text(target)


def test_rollback_without_a_previous_version_is_refused(target: LocalWebRoot) -> None:
    with pytest.raises(PermanentError, match="no previous version"):
        target.rollback(SLUG)
    target.publish(bundle("one"))
    with pytest.raises(PermanentError, match="no previous version"):
        target.rollback(SLUG)


def test_old_versions_are_pruned_but_never_the_live_or_previous_one(tmp_path: Path) -> None:
    target = LocalWebRoot(tmp_path / "sites", BASE, keep_versions=3)
    for n in range(6):
        target.publish(bundle(f"v{n}"))
    kept = {p.name for p in (target.root / ".versions" / SLUG).iterdir() if p.name != "previous"}
    assert len(kept) == 3
    assert {bundle("v5").content_hash, bundle("v4").content_hash} <= kept
    assert target.rollback(SLUG).version == bundle("v4").content_hash


def test_undeploy_removes_the_site_and_twice_is_harmless(target: LocalWebRoot) -> None:
    target.publish(bundle("one"))
    target.publish(bundle("two"))
    assert target.undeploy(SLUG) is True
    assert not (target.root / SLUG).exists() and not (target.root / SLUG).is_symlink()
    assert not (target.root / ".versions" / SLUG).exists()
    assert target.undeploy(SLUG) is False
    assert target.current_version(SLUG) is None


def test_undeploy_lead_is_the_compensation_the_job_engine_calls(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", public_base_url="http://127.0.0.1:9/")
    result = target_for(settings).publish(bundle("one"))
    assert result.url == f"http://127.0.0.1:9/{SLUG}/"
    assert undeploy_lead(settings, SLUG) is True
    assert undeploy_lead(settings, SLUG) is False


@pytest.mark.parametrize(
    "slug",
    ["..", "../x", "a/../../b", "/etc", "a/b", ".versions", ".locks", "-a", "a-", "A-b", "a b", "a\x00b",
     "", "a" * 81, "caf\u00e9", "a\\b", "%2e%2e", "a--b"],
)  # fmt: skip
def test_traversal_and_unsafe_slugs_are_refused_everywhere(target: LocalWebRoot, slug: str) -> None:
    unsafe = bundle("x").model_copy(update={"slug": slug})
    with pytest.raises(UnsafeSlug):
        target.publish(unsafe)
    for action in (target.undeploy, target.rollback, target.current_version, target.url_for):
        with pytest.raises(UnsafeSlug):
            action(slug)
    assert (
        not any(p.name not in (".locks", ".versions") for p in target.root.glob("*")) if target.root.exists() else True
    )


@pytest.mark.parametrize("path", ["../escape.html", "/abs.html", "a/../../b", ".hidden", "a//b", "dir/", "x\\y"])
def test_bundle_paths_that_leave_the_site_are_refused(target: LocalWebRoot, path: str) -> None:
    evil = bundle("x", extra={path: b"pwned"})
    with pytest.raises(PermanentError, match="unsafe"):
        target.publish(evil)
    assert not (target.root.parent / "escape.html").exists()


def test_a_bundle_whose_version_is_not_a_hash_is_refused(target: LocalWebRoot) -> None:
    with pytest.raises(PermanentError, match="content hash"):
        target.publish(bundle("x").model_copy(update={"content_hash": "../../x"}))


def test_a_reader_sees_one_whole_version_or_the_other_during_switches(target: LocalWebRoot) -> None:
    """Given a site being re-published over and over, when a reader keeps reading it,
    then every read is one complete version: never missing, never a mix."""
    versions = [bundle(f"version-{n}") for n in range(3)]
    expected = {base64.b64decode(b.files["index.html"]) for b in versions}
    target.publish(versions[0])
    stop, seen, errors = threading.Event(), set(), []

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.add((target.root / SLUG / "index.html").read_bytes())
            except OSError as exc:  # pragma: no cover - this is the failure being tested for
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for n in range(150):
        target.publish(versions[n % 3])
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert seen <= expected and len(seen) >= 2


def test_concurrent_publishers_of_one_site_leave_a_consistent_site(target: LocalWebRoot) -> None:
    versions = [bundle(f"p{n}") for n in range(4)]
    threads = [threading.Thread(target=target.publish, args=(versions[n % 4],)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    live = target.current_version(SLUG)
    assert live in {v.content_hash for v in versions}
    assert (target.root / SLUG / "index.html").is_file()
    assert not list((target.root / ".versions" / SLUG).glob(".tmp-*"))


def test_a_second_target_is_one_class_registered_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Mirror(LocalWebRoot):
        name = "mirror"

    monkeypatch.setitem(TARGETS, "mirror", lambda s: Mirror(tmp_path / "mirror", "https://sites.example.com/"))
    settings = Settings(var_dir=tmp_path / "var", deploy_target="mirror")
    result = target_for(settings).publish(bundle("one"))
    assert result.target == "mirror" and result.url == f"https://sites.example.com/{SLUG}/"
    with pytest.raises(PermanentError, match="unknown deploy target"):
        target_for(Settings(var_dir=tmp_path / "var", deploy_target="ftp"))


def test_a_real_directory_in_the_way_is_not_replaced(target: LocalWebRoot) -> None:
    (target.root / SLUG).mkdir(parents=True)
    with pytest.raises(PermanentError, match="real directory"):
        target.publish(bundle("one"))


def test_the_skeleton_publish_signature_still_works(tmp_path: Path) -> None:
    from pipeline.stages.deploy import publish, undeploy

    result = publish(bundle("one"), tmp_path, BASE)
    assert isinstance(result.version, str) and (tmp_path / SLUG / "index.html").exists()
    assert undeploy(SLUG, tmp_path) is True
