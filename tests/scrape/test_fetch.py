"""The safe HTTP client against real servers on 127.0.0.1: redirects re-checked, size cap,
deadline, content types, error classes and retries."""

from __future__ import annotations

import contextlib
import gzip
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from pipeline.errors import BlockedAddress, PermanentError, TransientError
from pipeline.scrape.fetch import CSS_TYPES, Fetcher
from tests.scrape.helpers import Recorder, loopback_only, settings
from tests.support.servers import serve

Respond = Callable[[BaseHTTPRequestHandler], None]


def handler(recorder: Recorder, respond: Respond) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.add(self)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                respond(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def send(h: BaseHTTPRequestHandler, status: int = 200, body: bytes = b"<html>ok</html>", **headers: str) -> None:
    h.send_response(status)
    headers.setdefault("Content-Type", "text/html; charset=utf-8")
    for key, value in headers.items():
        h.send_header(key.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def redirect_to(target: str) -> Respond:
    def respond(h: BaseHTTPRequestHandler) -> None:
        if h.path == "/":
            send(h, 302, b"", Location=target)
        else:
            send(h)

    return respond


def test_a_page_is_fetched_with_the_configured_user_agent() -> None:
    rec = Recorder()
    cfg = settings(user_agent="TestBot/9 (+tests)")
    with serve(handler(rec, lambda h: send(h))) as url, Fetcher(cfg) as f:
        resp = f.get(url)
    assert resp.status == 200 and resp.text() == "<html>ok</html>"
    assert rec.requests[0][2]["User-Agent"] == "TestBot/9 (+tests)"


def test_a_redirect_to_a_private_address_is_refused_before_connecting() -> None:
    rec = Recorder()
    with (
        serve(handler(rec, redirect_to("http://10.0.0.1/admin"))) as url,
        Fetcher(settings()) as f,
        pytest.raises(BlockedAddress, match=r"10\.0\.0\.1"),
    ):
        f.get(url)
    assert f.requests_sent == [url]  # the hop to 10.0.0.1 was decided on, never sent


def test_a_redirect_to_a_name_that_resolves_privately_is_refused_before_connecting() -> None:
    resolved: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["127.0.0.1"] if host == "127.0.0.1" else ["192.168.1.20"]

    rec = Recorder()
    with (
        serve(handler(rec, redirect_to("http://intranet.example.com/"))) as url,
        Fetcher(settings(), resolver=resolver) as f,
        pytest.raises(BlockedAddress, match=r"192\.168\.1\.20"),
    ):
        f.get(url)
    assert resolved == ["intranet.example.com"]  # the literal 127.0.0.1 needed no lookup
    assert rec.paths == ["/"]


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://[::ffff:a00:1]/", "http://2130706433/"]
)
def test_redirects_to_other_schemes_and_disguised_addresses_are_refused(target: str) -> None:
    cfg = settings(allow_loopback=False)
    rec = Recorder()
    # The first hop needs loopback; a resolver that maps a public-looking name to it stands in for DNS.
    with (
        serve(handler(rec, redirect_to(target))) as url,
        Fetcher(cfg, resolver=lambda h, p: ["127.0.0.1"]) as f,
        pytest.raises(BlockedAddress),
    ):
        f.get(url.replace("127.0.0.1", "shop.example.com"))


def test_loopback_is_refused_unless_explicitly_allowed() -> None:
    rec = Recorder()
    with serve(handler(rec, lambda h: send(h))) as url:
        with Fetcher(settings(allow_loopback=False)) as f, pytest.raises(BlockedAddress):
            f.get(url)
        with (
            Fetcher(settings(allow_loopback=False), resolver=lambda h, p: ["127.0.0.1"]) as f,
            pytest.raises(BlockedAddress, match=r"resolves to 127\.0\.0\.1"),
        ):
            f.get(url.replace("127.0.0.1", "shop.example.com"))
    assert rec.requests == []


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header() -> None:
    rec = Recorder()
    with serve(handler(rec, lambda h: send(h))) as url, Fetcher(settings(), resolver=lambda h, p: ["127.0.0.1"]) as f:
        port = url.rsplit(":", 1)[1].strip("/")
        f.get(f"http://shop.example.com:{port}/")
    assert rec.requests[0][2]["Host"] == f"shop.example.com:{port}"


def test_redirects_are_followed_up_to_the_limit() -> None:
    def loop(h: BaseHTTPRequestHandler) -> None:
        n = int(h.path.strip("/") or 0)
        send(h, 301, b"", Location=f"/{n + 1}") if n < 10 else send(h)

    rec = Recorder()
    with serve(handler(rec, loop)) as url:
        with Fetcher(settings(fetch_max_redirects=10)) as f:
            assert f.get(url).url.endswith("/10")
        with Fetcher(settings(fetch_max_redirects=3)) as f, pytest.raises(PermanentError, match="redirects"):
            f.get(url)


def test_a_body_over_the_size_cap_is_cut_off_while_streaming() -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()  # no Content-Length: only streaming can stop it
        for _ in range(200):
            h.wfile.write(b"x" * 65536)

    with (
        serve(handler(Recorder(), endless)) as url,
        Fetcher(settings(fetch_max_bytes=200_000)) as f,
        pytest.raises(PermanentError, match="larger than the cap of 200000"),
    ):
        f.get(url)


def test_a_declared_length_over_the_cap_is_refused_without_reading() -> None:
    with (
        serve(handler(Recorder(), lambda h: send(h, body=b"y" * 300_000))) as url,
        Fetcher(settings(fetch_max_bytes=1000)) as f,
        pytest.raises(PermanentError, match="Content-Length"),
    ):
        f.get(url)


def test_a_gzip_bomb_is_capped_on_its_decompressed_size() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    with (
        serve(handler(Recorder(), lambda h: send(h, body=bomb, Content_Encoding="gzip"))) as url,
        Fetcher(settings(fetch_max_bytes=1_000_000)) as f,
        pytest.raises(PermanentError, match="larger than"),
    ):
        f.get(url)


def test_a_slow_drip_server_hits_the_total_deadline() -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "10000")
        h.end_headers()
        for _ in range(100):  # one byte every 50 ms: every read is well inside the read timeout
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)

    cfg = settings(fetch_deadline_s=0.6, fetch_read_timeout_s=2.0)
    with serve(handler(Recorder(), drip)) as url, Fetcher(cfg) as f:
        started = time.monotonic()
        with pytest.raises(TransientError, match="deadline"):
            f.get(url)
    assert time.monotonic() - started < 2.0


def test_a_server_that_never_answers_times_out_as_transient() -> None:
    def silent(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)

    with (
        serve(handler(Recorder(), silent)) as url,
        Fetcher(settings(fetch_read_timeout_s=0.3)) as f,
        pytest.raises(TransientError),
    ):
        f.get(url)


def test_a_refused_connection_is_transient() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port now
    with Fetcher(settings()) as f, pytest.raises(TransientError):
        f.get(f"http://127.0.0.1:{port}/")


def test_a_tls_handshake_failure_is_permanent() -> None:
    with (
        serve(handler(Recorder(), lambda h: send(h))) as url,
        Fetcher(settings()) as f,
        pytest.raises(PermanentError, match="TLS"),
    ):
        f.get(url.replace("http://", "https://"))


@pytest.mark.parametrize(("status", "error"), [(404, PermanentError), (410, PermanentError), (403, PermanentError)])
def test_client_errors_are_permanent(status: int, error: type[Exception]) -> None:
    rec = Recorder()
    with (
        serve(handler(rec, lambda h: send(h, status))) as url,
        Fetcher(settings(fetch_retries=2)) as f,
        pytest.raises(error, match=str(status)),
    ):
        f.get(url)
    assert len(rec.requests) == 1


def test_server_errors_are_retried_in_process_then_raised_as_transient() -> None:
    rec = Recorder()
    with (
        serve(handler(rec, lambda h: send(h, 503))) as url,
        Fetcher(settings(fetch_retries=2)) as f,
        pytest.raises(TransientError, match="503"),
    ):
        f.get(url)
    assert len(rec.requests) == 3


def test_a_429_is_retried_after_the_servers_retry_after() -> None:
    rec = Recorder()

    def limited(h: BaseHTTPRequestHandler) -> None:
        send(h, 429, b"", Retry_After="1") if len(rec.requests) == 1 else send(h)

    cfg = settings(fetch_retries=1, fetch_retry_cap_s=2.0)
    with serve(handler(rec, limited)) as url, Fetcher(cfg) as f:
        started = time.monotonic()
        assert f.get(url).status == 200
    assert 0.9 <= time.monotonic() - started < 2.5
    assert len(rec.requests) == 2


def test_a_retry_after_beyond_the_cap_is_left_to_the_stage_level_retry() -> None:
    rec = Recorder()
    with (
        serve(handler(rec, lambda h: send(h, 429, b"", Retry_After="3600"))) as url,
        Fetcher(settings(fetch_retries=3, fetch_retry_cap_s=1.0)) as f,
        pytest.raises(TransientError, match="429"),
    ):
        f.get(url)
    assert len(rec.requests) == 1


def test_an_unexpected_content_type_is_refused() -> None:
    with (
        serve(handler(Recorder(), lambda h: send(h, body=b"\x89PNG", Content_Type="image/png"))) as url,
        Fetcher(settings()) as f,
        pytest.raises(PermanentError, match="content type"),
    ):
        f.get(url, accept=CSS_TYPES)


def test_the_loopback_only_resolver_keeps_tests_off_the_network() -> None:
    with Fetcher(settings(), resolver=loopback_only) as f, pytest.raises(PermanentError, match="DNS"):
        f.get("https://example.com/")


def test_a_connection_closed_without_an_answer_is_transient() -> None:
    def hang_up(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)

    with serve(handler(Recorder(), hang_up)) as url, Fetcher(settings()) as f, pytest.raises(TransientError):
        f.get(url)
