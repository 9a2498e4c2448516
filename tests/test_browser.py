"""The browser is a renderer, never a network client: every request goes through the guarded
fetcher, blocked addresses are refused by the guard's decision, and a crashed browser comes back."""

from __future__ import annotations

import functools
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.browser import MOBILE, PLAYWRIGHT_DISABLED_FEATURES, Browser, screenshot_webp
from pipeline.errors import BlockedAddress, PermanentError, TransientError
from tests.support.browser import browser_settings, chromium_pids, kill_chromium
from tests.support.resolver import loopback_only
from tests.support.servers import serve_directory

PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5270de30000000049454e44ae426082"
)


class _Counting(ThreadingHTTPServer):
    """A server that counts accepted connections and remembers every request's User-Agent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), functools.partial(_Handler, self))
        self.connections = 0
        self.agents: list[str] = []
        self.pages: dict[str, tuple[int, str, bytes]] = {}

    def get_request(self) -> tuple[socket.socket, object]:
        self.connections += 1
        return super().get_request()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, server_: _Counting, *args: object) -> None:
        self.owner = server_
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self.owner.agents.append(self.headers.get("User-Agent", ""))
        status, media, body = self.owner.pages.get(self.path, (404, "text/plain", b"missing"))
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def counting() -> Iterator[_Counting]:
    server = _Counting()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_every_request_of_the_page_is_made_by_the_guarded_fetcher(guarded_browser: Browser) -> None:
    with counting() as site, counting() as other, counting() as untouched:
        port = other.server_address[1]
        site.pages["/"] = (
            200,
            "text/html",
            f"""<!doctype html><html><head><title>t</title>
            <link rel="preconnect" href="{untouched.url}"><link rel="dns-prefetch" href="{untouched.url}">
            <link rel="stylesheet" href="/s.css"></head>
            <body><img id="a" src="http://localhost:{port}/p.png" alt=""><img src="/missing.png" alt="">
            </body></html>""".encode(),
        )
        site.pages["/s.css"] = (200, "text/css", b"body{color:#123}")
        other.pages["/p.png"] = (200, "image/png", PIXEL)
        with guarded_browser.open(site.url) as tab:
            width = tab.page.evaluate("() => document.getElementById('a').naturalWidth")
            requests = {r.url: r for r in tab.requests}
        assert width == 1  # the other host's image rendered: the fetcher brought it
        ua = guarded_browser.settings.user_agent
        assert site.agents and other.agents and set(site.agents + other.agents) == {ua}  # never Chromium's own
        assert untouched.connections == 0  # preconnect and DNS prefetch opened nothing
        assert requests[f"{site.url}missing.png"].status == 404
        assert requests[f"http://localhost:{port}/p.png"].bytes == len(PIXEL)


def test_a_blocked_address_is_refused_by_the_guard_decision(guarded_browser: Browser) -> None:
    with counting() as site, counting() as sink:
        site.pages["/"] = (
            200,
            "text/html",
            f"""<!doctype html><title>t</title><img src="http://printer.internal/x.png" alt="">
            <img src="http://0.0.0.0:{sink.server_address[1]}/x.png" alt="">
            <img src="ftp://127.0.0.1/x.png" alt="">""".encode(),
        )
        with guarded_browser.open(site.url) as tab:
            refused = {r.url: r for r in tab.requests if r.blocked}
        assert "private-use domain" in (refused["http://printer.internal/x.png"].error or "")
        assert "unspecified address" in (refused[f"http://0.0.0.0:{sink.server_address[1]}/x.png"].error or "")
        assert sink.connections == 0
        with pytest.raises(BlockedAddress, match="private-use"):
            guarded_browser.open("http://metadata.internal/").__enter__()


def test_websockets_are_refused_without_a_connection(guarded_browser: Browser) -> None:
    with counting() as site, counting() as ws_server:
        site.pages["/"] = (
            200,
            "text/html",
            f"""<!doctype html><title>t</title><script>
            const ws = new WebSocket("ws://127.0.0.1:{ws_server.server_address[1]}/");
            ws.onclose = () => {{ document.title = "closed"; }};</script>""".encode(),
        )
        with guarded_browser.open(site.url, javascript=True) as tab:
            tab.page.wait_for_function("() => document.title === 'closed'", timeout=5000)
            assert [r.resource_type for r in tab.requests if r.blocked] == ["websocket"]
        assert ws_server.connections == 0


def test_javascript_is_off_unless_asked_for(guarded_browser: Browser) -> None:
    with counting() as site:
        site.pages["/"] = (200, "text/html", b"<!doctype html><title>off</title><script>document.title='on'</script>")
        with guarded_browser.page(site.url) as page:
            assert page.title() == "off"
        with guarded_browser.page(site.url, javascript=True) as page:
            assert page.title() == "on"


def test_the_main_document_errors_keep_their_class(guarded_browser: Browser) -> None:
    with counting() as site:
        site.pages["/busy"] = (503, "text/plain", b"busy")
        with pytest.raises(PermanentError, match="404"):
            guarded_browser.open(f"{site.url}gone").__enter__()
        with pytest.raises(TransientError, match="503"):
            guarded_browser.open(f"{site.url}busy").__enter__()


def test_a_redirected_page_lives_at_its_final_url(guarded_browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "index.html").write_text('<!doctype html><title>t</title><img id="a" src="p.png" alt="">')
    (tmp_path / "shop" / "p.png").write_bytes(PIXEL)
    with serve_directory(tmp_path) as base, guarded_browser.open(f"{base}shop", viewport=MOBILE) as tab:
        assert tab.page.url == f"{base}shop/"
        assert tab.page.evaluate("() => document.getElementById('a').naturalWidth") == 1
        shot = screenshot_webp(tab.page, max_width=200)
    assert shot[:4] == b"RIFF" and shot[8:12] == b"WEBP"


def test_a_crashed_browser_is_a_transient_error_and_comes_back() -> None:
    with counting() as site, Browser(browser_settings(browser_restart_after_sites=2), resolver=loopback_only) as b:
        site.pages["/"] = (200, "text/html", b"<!doctype html><title>ok</title>")
        others = chromium_pids()  # the session's browsers live on
        for _ in range(3):  # every 2 sites a fresh browser
            with b.page(site.url) as page:
                assert page.title() == "ok"
        assert b.launches == 2
        assert kill_chromium(others) > 0  # dies between two sites: the next site does not notice
        with b.page(site.url) as page:
            assert page.title() == "ok"
        assert b.launches == 3
        with pytest.raises(TransientError, match="crashed"), b.page(site.url) as page:  # noqa: PT012
            kill_chromium(others)
            page.evaluate("() => 1")
        with b.page(site.url) as page:
            assert page.title() == "ok"
        assert b.launches == 4


# Site a leaves everything a page can leave behind in a browser; site b, on the same origin (the
# deploy target serves every generated site from one host), must find none of it.
_LEAVER = b"""<title>a</title><script>
localStorage.setItem('k', 'a'); sessionStorage.setItem('k', 'a'); document.cookie = 'c=a; path=/';
window.name = 'a'; history.replaceState({k: 'a'}, '');
indexedDB.open('db-a').onsuccess = e => e.target.result.close();
caches.open('cache-a').then(c => c.put('/cached', new Response('a'))).then(() => { document.title = 'stored'; });
if (navigator.serviceWorker) navigator.serviceWorker.register('/sw.js').catch(() => {});
setInterval(() => localStorage.setItem('late', 'a'), 5);
</script>"""
_LOOKER = """async () => [
  localStorage.getItem('k'), localStorage.getItem('late'), sessionStorage.getItem('k'), document.cookie,
  window.name, history.state, (await indexedDB.databases()).map(d => d.name), await caches.keys(),
  navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).length : 0,
]"""


def test_a_reused_page_leaves_nothing_of_one_site_for_the_next(guarded_browser: Browser) -> None:
    with counting() as site:
        site.pages["/a"] = (200, "text/html", _LEAVER)
        site.pages["/b"] = (200, "text/html", b"<title>b</title>")
        site.pages["/sw.js"] = (200, "text/javascript", b"self.onfetch = () => {};")
        with guarded_browser.reused(f"{site.url}a", javascript=True) as tab:
            tab.page.wait_for_function("() => document.title === 'stored'")
            left = tab.page.evaluate(_LOOKER)
            assert left[:8] == ["a", "a", "a", "c=a", "a", {"k": "a"}, ["db-a"], ["cache-a"]]
            assert left[8] == 0  # service workers are blocked outright
        with guarded_browser.reused(f"{site.url}b", javascript=True) as tab:
            assert tab.page.evaluate(_LOOKER) == [None, None, None, "", "", None, [], [], 0]
            assert [r.url for r in tab.requests] == [f"{site.url}b"]  # its own request log


def test_our_disabled_features_keep_playwrights_own() -> None:
    """Chromium keeps only the last --disable-features: ours must repeat every feature Playwright
    disables (a Playwright upgrade that changes its list fails here until ours follows)."""
    from playwright._impl._driver import compute_driver_executable

    bundle = Path(compute_driver_executable()[1]).parent / "lib" / "coreBundle.js"
    found = re.search(r"disabledFeatures = \[(.*?)\]\.filter", bundle.read_text(), re.DOTALL)
    assert found, f"Playwright's disabled features not found in {bundle}"
    theirs = re.findall(r'^\s*"(\w+)",?\s*$', found.group(1), re.MULTILINE)
    assert theirs
    assert set(theirs) == set(PLAYWRIGHT_DISABLED_FEATURES)


def test_no_omnibox_popup_is_preloaded(guarded_browser: Browser) -> None:
    """The headless browser runs no WebUI of its own beside the pages (its omnibox popups cost a
    renderer per launch)."""
    with counting() as site:
        site.pages["/"] = (200, "text/html", b"<!doctype html><title>ok</title>")
        with guarded_browser.page(site.url) as page:
            assert page.title() == "ok"
            session = page.context.browser.new_browser_cdp_session()  # type: ignore[union-attr]
            targets = session.send("Target.getTargets")["targetInfos"]
            session.detach()
    assert [t["url"] for t in targets if t["type"] != "page"] == []
