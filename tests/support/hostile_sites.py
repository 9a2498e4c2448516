"""Hostile prospect sites for the scraper, each served on 127.0.0.1 by `serve_case`, with the outcome
its scrape must reach and the invariants it must hold (most requests, most seconds).

A site is a table of paths → responders (functions writing to the raw handler: they can drip,
reset, lie about types, redirect anywhere). Redirect targets outside loopback are only ever DECIDED
on by the address guard: the test resolver knows loopback and the case's own names (which resolve to
private addresses, to be refused), and the test asserts no socket connects anywhere else.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import socket
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from pipeline.models import BrandProfile
from tests.support.servers import serve

Respond = Callable[[BaseHTTPRequestHandler], None]
DEADLINE_S = 1.0  # the per-page deadline the hostile cases run with (production: 20 s)
MAX_BYTES = 400_000  # the response cap they run with


def send(
    h: BaseHTTPRequestHandler, body: bytes, ctype: str = "text/html; charset=utf-8", status: int = 200, **headers: str
) -> None:
    """A complete answer."""
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    for key, value in headers.items():
        h.send_header(key.replace("_", "-"), value)
    h.send_header("Content-Length", str(len(body)))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(body)


def html(head: str = "", body: str = "") -> bytes:
    """A small page of Hostile Bakery, with `head` and `body` added."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile Bakery</title>'
        f"{head}</head><body><header><h1>Hostile Bakery</h1></header>{body}"
        "<p>Fresh bread every morning in the old town.</p></body></html>"
    ).encode()


def page(head: str = "", body: str = "") -> Respond:
    return lambda h: send(h, html(head, body))


def redirect(target: str, status: int = 302) -> Respond:
    return lambda h: send(h, b"", status=status, Location=target)


def drip(raw: bytes, every_s: float = 0.25) -> Respond:
    """Send `raw` one byte at a time; stops when the client has gone (or after 15 s)."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        stop = time.monotonic() + 15
        for i in range(len(raw)):
            if time.monotonic() > stop:
                return
            h.wfile.write(raw[i : i + 1])
            h.wfile.flush()
            time.sleep(every_s)

    return respond


def reset(after: bytes = b"") -> Respond:
    """Send `after` (maybe nothing), then reset the connection (RST, not a clean close)."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        if after:
            h.wfile.write(after)
            h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return respond


def endless_body(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    h.wfile.write(b"<html><body>")
    stop = time.monotonic() + 15
    while time.monotonic() < stop:
        h.wfile.write(b"<p>more</p>" * 1000)


def endless_headers(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for i in range(100_000):
        h.wfile.write(b"X-More-%d: yes\r\n" % i)


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b"<html>" + b" " * 20_000_000, compresslevel=9)


def gzip_bomb(h: BaseHTTPRequestHandler) -> None:
    send(h, _bomb(), Content_Encoding="gzip")


def double_gzip_bomb(h: BaseHTTPRequestHandler) -> None:
    send(h, gzip.compress(_bomb(), compresslevel=9), Content_Encoding="gzip, gzip")


def deflate_bomb(h: BaseHTTPRequestHandler) -> None:
    send(h, zlib.compress(b"<html>" + b" " * 20_000_000, 9), Content_Encoding="deflate")


def png(width: int, height: int, raw_rows: bytes | None = None) -> bytes:
    """A PNG of the given size; its pixel data is mostly zeros (tiny compressed, huge decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = raw_rows if raw_rows is not None else b"\0" * ((width * 3 + 1) * min(height, 10))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


LOGO_IMG = '<img class="site-logo" id="logo" alt="Hostile Bakery logo" src="/logo">'
SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"'
    b' onload="window.__xss=1"><script>window.__xss=2</script><a xlink:href="javascript:window.__xss=3">'
    b'<rect width="10" height="10" fill="#2a6f97"/></a><foreignObject><iframe src="http://10.0.0.1/"/>'
    b'</foreignObject><image href="http://169.254.169.254/x.png"/><set attributeName="onclick" to="alert(1)"/></svg>'
)
SVG_XXE = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
    b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><text>&xxe;&lol2;</text>'
    b'<rect width="10" height="10" fill="#aa3311"/></svg>'
)
EVERY_ATTRIBUTE = (
    '<meta property="og:site_name" content="Hostile Bakery"><meta name="theme-color" content="#2a6f97">'
    '<link rel="icon" href="javascript:window.__xss=10">'
    '<base href="http://169.254.169.254/">',
    '<div onclick="window.__xss=11" onmouseover="window.__xss=12" style="background:url(javascript:window.__xss=13)">'
    '<a href="javascript:window.__xss=14" onfocus="window.__xss=15" autofocus>Contact</a>'
    '<img src="x" onerror="window.__xss=16"><svg onload="window.__xss=17"></svg>'
    '<iframe srcdoc="<script>parent.__xss=18</script>"></iframe><object data="javascript:window.__xss=19"></object>'
    '<form action="javascript:window.__xss=20"><button formaction="javascript:window.__xss=21">Go</button></form>'
    '<p title="&quot;&gt;&lt;script&gt;window.__xss=22&lt;/script&gt;">We bake <b onclick="x()">bread</b>.</p>'
    '<p>Call us: <a href="tel:+441234567890">+44 1234 567890</a></p></div>',
)


_HOSTILE_NAME = "\x1b[31mHostile\u202e Bakery\u200b\x07"
HOSTILE_NAME_PAGE = (
    f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_HOSTILE_NAME}</title>'
    f'<meta property="og:site_name" content="{_HOSTILE_NAME}"></head>'
    f"<body><header><h1>{_HOSTILE_NAME}</h1></header><p>Fresh bread.</p></body></html>"
).encode()


@dataclass
class Case:
    """A hostile site: its routes, the expected outcome and the invariants."""

    name: str
    routes: dict[str, Respond]
    outcome: str  # "profile": the scrape worked; "degraded": the CSV row stands in, with `reason`
    reason: str = ""
    max_requests: int = 6
    max_seconds: float = 2 * DEADLINE_S + 1.5
    check: Callable[[BrandProfile], None] | None = None
    names: dict[str, str] = field(default_factory=dict)  # extra DNS names → (private) addresses
    xfail: str | None = None


def _no_markup(p: BrandProfile) -> None:
    for value in (p.name, p.tagline or "", *p.paragraphs, *p.services):
        assert "<" not in value and "__xss" not in value, value


def _clean_name(p: BrandProfile) -> None:
    bad = [
        c
        for c in p.name
        if ord(c) < 32
        or 0x200B <= ord(c) <= 0x200F
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
        or c in "\ufeff\x7f"
    ]
    assert not bad and "[31m" not in p.name and "<" not in p.name and len(p.name) <= 80, repr(p.name)


def _monogram(p: BrandProfile) -> None:
    assert p.logo is not None and p.logo.source == "monogram", p.logo and p.logo.source


def _safe_logo(p: BrandProfile) -> None:
    import base64

    assert p.logo is not None
    data = base64.b64decode(p.logo.data_b64).lower()
    for bad in (b"script", b"onload", b"javascript", b"entity", b"root:", b"169.254", b"10.0.0.1", b"foreignobject"):
        assert bad not in data, bad


def _palette_hex(p: BrandProfile) -> None:
    import re

    for colour in (p.palette.primary, p.palette.secondary, *p.palette.colors):
        assert colour is None or re.fullmatch(r"#[0-9a-f]{6}", colour), colour


def _named_cafe(p: BrandProfile) -> None:
    assert "Caf" in p.name and "Cr" in p.name, p.name


PRIVATE_TARGETS = {
    "redirect-private-decimal": ("http://167772161/", "private address"),
    "redirect-private-octal": ("http://012.0.0.1/", "private address"),
    "redirect-private-hex": ("http://0x0a000001/admin", "private address"),
    "redirect-metadata": ("http://169.254.169.254/latest/meta-data/", "link-local"),
    "redirect-metadata-decimal": ("http://2852039166/latest/", "link-local"),
    "redirect-metadata-octal-hex": ("http://0251.0xfe.0251.0376/", "link-local"),
    "redirect-ipv6-mapped": ("http://[::ffff:10.0.0.1]/", "private address"),
    "redirect-ipv6-ula": ("http://[fd00::1]:8080/", "private address"),
    "redirect-6to4-metadata": ("http://[2002:a9fe:a9fe::1]/", "link-local"),
    "redirect-unspecified": ("http://0.0.0.0/", "unspecified"),
    "redirect-internal-name": ("http://metadata.google.internal/", "private-use domain"),
    "redirect-dns-to-private": ("http://intranet-shop.example.com/", "resolves to 10.0.0.7"),
    "redirect-file-scheme": ("file:///etc/passwd", "scheme"),
    "redirect-gopher": ("gopher://127.0.0.1:6379/_FLUSHALL", "scheme"),
}

CASES: list[Case] = [
    Case(
        "drip-status-line",
        {"/": drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html())},
        "degraded",
        "deadline",
        max_requests=1,
        max_seconds=DEADLINE_S + 0.8,
    ),
    Case(
        "drip-headers",
        {"/": drip(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 100 + b"\r\n\r\n")},
        "degraded",
        "deadline",
        max_requests=1,
        max_seconds=DEADLINE_S + 0.8,
    ),
    Case(
        "drip-body",
        {
            "/": lambda h: (
                h.send_response(200),
                h.send_header("Content-Length", "5000"),
                h.end_headers(),
                drip(html(), 0.1)(h),
            )
        },
        "degraded",
        "deadline",
        max_requests=1,
        max_seconds=DEADLINE_S + 0.8,
    ),
    Case(
        "silent-then-answer",
        {"/": lambda h: (time.sleep(3), send(h, html()))},
        "degraded",
        "deadline",
        max_requests=1,
        max_seconds=DEADLINE_S + 0.8,
    ),
    Case("reset-before-answer", {"/": reset()}, "degraded", "site unreachable", max_requests=2),
    Case(
        "reset-mid-body",
        {"/": reset(b"HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n<html><title>x")},
        "degraded",
        "site unreachable",
        max_requests=2,
    ),
    Case("endless-body", {"/": endless_body}, "degraded", "cap", max_requests=1),
    Case("endless-headers", {"/": endless_headers}, "degraded", "site unreachable", max_requests=2),
    Case("gzip-bomb", {"/": gzip_bomb}, "degraded", "cap", max_requests=1),
    Case("double-gzip-bomb", {"/": double_gzip_bomb}, "degraded", "cap", max_requests=1),
    Case("deflate-bomb", {"/": deflate_bomb}, "degraded", "cap", max_requests=1),
    Case("huge-html", {"/": lambda h: send(h, b"<div>" * 200_000)}, "degraded", "cap", max_requests=1),
    Case(
        "server-error-retry-after",
        {"/": lambda h: send(h, b"busy", status=503, Retry_After="1")},
        "degraded",
        "HTTP 503",
        max_requests=2,
    ),
    Case(
        "rate-limited-long-retry-after",
        {"/": lambda h: send(h, b"slow down", status=429, Retry_After="3600")},
        "degraded",
        "HTTP 429",
        max_requests=1,
    ),
    Case("binary-home-png", {"/": lambda h: send(h, png(10, 10))}, "degraded", "not a page", max_requests=1),
    Case(
        "binary-home-nul",
        {"/": lambda h: send(h, b"<html>\0\0\0\x01\x02binary\0" * 40)},
        "degraded",
        "not a page",
        max_requests=1,
    ),
    Case(
        "binary-home-zip",
        {"/": lambda h: send(h, b"PK\x03\x04" + bytes(500))},
        "degraded",
        "not a page",
        max_requests=1,
    ),
    Case("redirect-loop", {"/": redirect("/a"), "/a": redirect("/")}, "degraded", "redirects", max_requests=6),
    *[
        Case(
            name,
            {"/": redirect(target)},
            "degraded",
            reason,
            max_requests=1,
            names={"intranet-shop.example.com": "10.0.0.7"},
        )
        for name, (target, reason) in PRIVATE_TARGETS.items()
    ],
    Case(
        "image-bomb-logo",
        {"/": page(body=LOGO_IMG), "/logo": lambda h: send(h, png(30_000, 30_000), "image/png")},
        "profile",
        check=_monogram,
    ),
    Case(
        "svg-logo-with-script",
        {"/": page(body=LOGO_IMG), "/logo": lambda h: send(h, SVG_SCRIPT, "image/svg+xml")},
        "profile",
        check=_safe_logo,
    ),
    Case(
        "svg-logo-with-xxe",
        {"/": page(body=LOGO_IMG), "/logo": lambda h: send(h, SVG_XXE, "image/svg+xml")},
        "profile",
        check=_safe_logo,
    ),
    Case(
        "logo-redirects-to-metadata",
        {"/": page(body=LOGO_IMG), "/logo": redirect("http://169.254.169.254/logo.png")},
        "profile",
        check=_monogram,
    ),
    Case("script-in-every-attribute", {"/": page(*EVERY_ATTRIBUTE)}, "profile", check=_no_markup),
    Case(
        "css-breaking-out-of-style",
        {
            "/": page(
                '<meta name="theme-color" content="red;}</style><script>window.__xss=30</script>">'
                "<style>:root{--primary:#2a6f97}</style><style>a{color:#aa3311}</style>"
                '<style>body{background:url("</style><script>window.__xss=31</script>")}</style>'
                '<link rel="stylesheet" href="/s.css">'
            ),
            "/s.css": lambda h: send(
                h,
                b"}</style><script>window.__xss=32</script>"
                b"{color:expression(alert(1));background:url(http://10.0.0.1/x)}"
                b"@import url(http://169.254.169.254/);",
                "text/css",
            ),
        },
        "profile",
        check=lambda p: (_palette_hex(p), _no_markup(p)),
    ),
    Case(
        "stylesheet-drips",
        {
            "/": page('<link rel="stylesheet" href="/s.css">'),
            "/s.css": drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\n\r\na{color:red}"),
        },
        "profile",
        max_seconds=2 * DEADLINE_S + 1.0,
    ),
    Case(
        "contact-page-redirects-to-private",
        {"/": page(body='<a href="/contact">Contact</a>'), "/contact": redirect("http://10.0.0.1/contact")},
        "profile",
    ),
    Case(
        "meta-refresh-to-metadata",
        {"/": page('<meta http-equiv="refresh" content="0;url=http://169.254.169.254/">')},
        "profile",
        check=_no_markup,
    ),
    Case(
        "wrong-charset-declared-utf8-body-cp1252",
        {"/": lambda h: send(h, html().replace(b"Hostile Bakery", "Café Crème".encode("cp1252")))},
        "profile",
        check=_named_cafe,
    ),
    Case("bogus-charset-label", {"/": lambda h: send(h, html(), "text/html; charset=x-no-such-charset")}, "profile"),
    Case(
        "utf16-page-declared-latin1",
        {"/": lambda h: send(h, b"\xff\xfe" + html().decode().encode("utf-16-le"), "text/html; charset=iso-8859-1")},
        "profile",
    ),
    Case(
        "hostile-title",
        {"/": lambda h: send(h, HOSTILE_NAME_PAGE)},
        "profile",
        check=_clean_name,
    ),
    Case(
        "template-syntax-title",
        {
            "/": lambda h: send(
                h,
                html().replace(
                    b"<title>Hostile Bakery</title>",
                    b"<title>{{7*7}} <b>Hostile Bakery</b> ${jndi:ldap://x} "
                    + b"| best bakery in town " * 8
                    + b"</title>",
                ),
            )
        },
        "profile",
        check=_clean_name,
    ),
]


@contextlib.contextmanager
def serve_case(case: Case) -> Iterator[tuple[str, list[str]]]:
    """Serve a case on loopback; yields its base URL and the list of paths requested."""
    seen: list[str] = []
    routes = case.routes

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.path)
            respond = routes.get(self.path.split("?", 1)[0])
            with contextlib.suppress(OSError, ValueError):
                if respond is None:
                    send(self, b"not here", status=404)
                else:
                    respond(self)
                    self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            with contextlib.suppress(OSError, ValueError):
                super().handle()

        def finish(self) -> None:
            with contextlib.suppress(OSError, ValueError):
                super().finish()

    with serve(Handler) as url:
        yield url, seen
