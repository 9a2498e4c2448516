"""The preview server: sites with the right types and cache headers; nothing else of the root."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.deploy import LocalWebRoot
from pipeline.preview import ASSET_CACHE, HTML_CACHE, make_server, server_url
from tests.deploy.bundles import SLUG, bundle

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LocalWebRoot, str]]:
    root = tmp_path / "sites"
    server = make_server(root, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LocalWebRoot(root, server_url(server)), server_url(server)
    finally:
        server.shutdown()
        server.server_close()


def get(base: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_the_server_binds_loopback_and_serves_a_published_site(served: tuple[LocalWebRoot, str]) -> None:
    target, base = served
    assert base.startswith("http://127.0.0.1:")
    target.publish(bundle("one", extra={"logo-0123456789.svg": SVG, "favicon-0123456789.png": b"\x89PNG"}))

    status, headers, body = get(base, f"/{SLUG}/")
    assert status == 200 and b"<title>one</title>" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == HTML_CACHE
    assert headers["x-content-type-options"] == "nosniff"

    status, headers, _ = get(base, f"/{SLUG}/logo-0123456789.svg")
    assert status == 200 and headers["content-type"] == "image/svg+xml"
    assert headers["cache-control"] == ASSET_CACHE and "default-src 'none'" in headers["content-security-policy"]
    assert get(base, f"/{SLUG}/favicon-0123456789.png")[1]["content-type"] == "image/png"


def test_a_redeploy_is_visible_at_once(served: tuple[LocalWebRoot, str]) -> None:
    target, base = served
    target.publish(bundle("one"))
    assert b"<title>one</title>" in get(base, f"/{SLUG}/")[2]
    target.publish(bundle("two"))
    assert b"<title>two</title>" in get(base, f"/{SLUG}/")[2]
    target.rollback(SLUG)
    assert b"<title>one</title>" in get(base, f"/{SLUG}/")[2]


def test_a_site_without_trailing_slash_redirects(served: tuple[LocalWebRoot, str]) -> None:
    target, base = served
    target.publish(bundle("one"))
    status, headers, _ = get(base, f"/{SLUG}")
    assert status == 301 and headers["location"] == f"/{SLUG}/"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/.versions/",
        "/.locks/",
        f"/{SLUG}/../.versions/",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        f"/{SLUG}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/../../etc/passwd",
        "/nope/",
        "/escape/secret.txt",
    ],
)
def test_traversal_listings_and_bookkeeping_are_not_found(served: tuple[LocalWebRoot, str], path: str) -> None:
    target, base = served
    target.publish(bundle("one"))
    (target.root.parent / "secret.txt").write_text("secret")
    (target.root / "escape").symlink_to(target.root.parent)  # a link out of the root is not followed
    status, _, body = get(base, path)
    assert status == 404
    assert b"secret" not in body and b"root:" not in body


def test_undeployed_sites_are_gone(served: tuple[LocalWebRoot, str]) -> None:
    target, base = served
    target.publish(bundle("one"))
    target.undeploy(SLUG)
    assert get(base, f"/{SLUG}/")[0] == 404


def test_head_requests_get_headers_only(served: tuple[LocalWebRoot, str]) -> None:
    target, base = served
    target.publish(bundle("one"))
    status, headers, body = get(base, f"/{SLUG}/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
