"""A safe HTTP client for fetching any site on the internet.

Every request, and every redirect hop, is checked twice: the URL (`netguard.check_url`) and every
address its host resolves to (`netguard.resolve_checked`). The connection is then opened to one of
those checked addresses, never to a second lookup's answer. Bodies are streamed under a size cap
and a total deadline; errors are translated into the pipeline's error tree:

    DNS failure, TLS failure, 4xx, blocked address, too many redirects  -> PermanentError
    timeout, connection reset/refused, 429, 5xx                          -> TransientError

Transient errors are retried in-process with `backoff` (full jitter, `Retry-After` honoured, both
capped by `fetch_retry_cap_s`); what is still failing goes to the stage-level retry. Both draw on
one budget per site (`budget.SiteBudget`): after `fetch_site_budget` failed requests the site is
given up on. The total deadline covers the whole exchange, headers included (`watchdog`), and a
body declared as text that is really binary (`sniff.binary_page`) is refused as not a page.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Collection, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import backoff
import requests
import urllib3.exceptions

from pipeline import netguard, sniff
from pipeline.errors import PermanentError, TransientError
from pipeline.scrape.budget import MemoryBudget, SiteBudget
from pipeline.scrape.transport import guarded_adapter
from pipeline.scrape.watchdog import Sockets, Watchdog
from pipeline.settings import Settings

REDIRECTS = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
CSS_TYPES = ("text/css",)
IMAGE_TYPES = ("image/",)
TEXT_TYPES = ("text/plain",)
_CHUNK = 16_384


class DeadlineExceeded(TransientError):
    """The exchange took longer than `fetch_deadline_s`; not retried in-process (a slow server stays slow)."""


class RetryableStatus(TransientError):
    """A 429 or 5xx answer; carries the server's `Retry-After` in seconds, if it sent one."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Response:
    """A fetched body: the final URL after redirects, status, lower-cased headers and bytes."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    redirects: list[str] = field(default_factory=list)

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset named in the Content-Type header, if any."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None

    def text(self) -> str:
        """The body as text: the header's charset, else UTF-8, else Windows-1252 (never fails)."""
        for encoding in (self.charset, "utf-8", "cp1252"):
            if not encoding:
                continue
            try:
                return self.content.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
        return self.content.decode("latin-1")


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _wait_gen(cap_s: float, base_s: float = 0.5) -> Generator[float, Any, None]:
    """backoff wait generator: full jitter on an exponential base, or the server's `Retry-After`.

    backoff sends the exception in; a `Retry-After` above the cap is not waited in-process (the
    caller gives up and the stage-level retry, with its longer delays, takes over)."""
    exc = yield 0.0
    attempt = 0
    while True:
        delay = random.uniform(0, min(cap_s, base_s * 2**attempt))
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            delay = min(cap_s, retry_after)
        attempt += 1
        exc = yield delay


class Fetcher:
    """GETs URLs safely. One per scrape; `close()` (or `with`) releases its connections.

    `resolver` is injectable so tests can point names at loopback servers; `budget` defaults to one
    that lasts as long as the fetcher (the scrape stage passes the lead's, kept in Redis);
    `requests_sent` lists every URL a request was sent to, redirect hops included. All its requests
    together get `scrape_deadline_s` (under the scrape job's timeout), one request `fetch_deadline_s`."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: netguard.Resolver = netguard.system_resolver,
        budget: SiteBudget | None = None,
    ) -> None:
        self.settings = settings
        self.session = requests.Session()
        self.session.trust_env = False  # a proxy from the environment would bypass the address checks
        self.session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"})
        self.budget: SiteBudget = budget if budget is not None else MemoryBudget()
        self._sockets = Sockets()
        adapter = guarded_adapter(settings.allow_loopback, resolver, self._sockets)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.requests_sent: list[str] = []
        self._until = time.monotonic() + settings.scrape_deadline_s

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def get(
        self,
        url: str,
        *,
        accept: Collection[str] = HTML_TYPES,
        max_bytes: int | None = None,
        stay: Callable[[str], bool] | None = None,
    ) -> Response:
        """GET `url` following checked redirects; retried in-process on transient errors.

        `accept` lists media types (or prefixes ending in '/') the caller can use; anything else is
        a permanent error, so a 'logo' that is really an HTML page is never decoded. `stay`, when
        given, must accept every redirect target (e.g. "on this site"), else the fetch stops there."""

        def giveup(exc: Exception) -> bool:
            if isinstance(exc, DeadlineExceeded):
                return True
            retry_after = getattr(exc, "retry_after_s", None)
            return retry_after is not None and retry_after > self.settings.fetch_retry_cap_s

        call = backoff.on_exception(
            _wait_gen,
            TransientError,
            max_tries=self.settings.fetch_retries + 1,
            jitter=None,
            giveup=giveup,
            raise_on_giveup=True,
            cap_s=self.settings.fetch_retry_cap_s,
        )(self._get_once)
        return call(url, tuple(accept), max_bytes or self.settings.fetch_max_bytes, stay)

    def _get_once(
        self, url: str, accept: tuple[str, ...], max_bytes: int, stay: Callable[[str], bool] | None
    ) -> Response:
        s = self.settings
        allowed_s = min(s.fetch_deadline_s, self._until - time.monotonic())
        if allowed_s <= 0:
            raise PermanentError(f"{url}: not fetched, the scrape's {s.scrape_deadline_s}s are used up")
        deadline = time.monotonic() + allowed_s
        hops: list[str] = []
        with Watchdog(allowed_s, self._sockets) as dog:
            for _ in range(s.fetch_max_redirects + 1):
                netguard.check_url(url, allow_loopback=s.allow_loopback)
                if hops and stay is not None and not stay(url):
                    raise PermanentError(f"{hops[-1]}: redirects off the site to {url}")
                host = urlsplit(url).hostname or ""
                self._spend(url, host)
                try:
                    got = self._exchange(url, accept, max_bytes, deadline, dog)
                except TransientError as exc:
                    self.budget.failed(host, getattr(exc, "retry_after_s", None))
                    raise
                if isinstance(got, str):
                    hops.append(url)
                    url = got
                    continue
                return Response(url=url, status=got[0], headers=got[1], content=got[2], redirects=hops)
        raise PermanentError(f"{url}: more than {s.fetch_max_redirects} redirects")

    def _spend(self, url: str, host: str) -> None:
        """Refuse a request the site's retry budget (or its Retry-After) does not allow."""
        used, allowed = self.budget.failures(host), self.settings.fetch_site_budget
        if used >= allowed:
            raise PermanentError(f"{url}: site given up after {used} failed requests (budget {allowed})")
        wait = self.budget.not_before(host) - time.time()
        if wait > self.settings.fetch_retry_cap_s:
            raise RetryableStatus(f"{url}: the server asked to wait {wait:.0f}s more (Retry-After)", wait)
        if wait > 0:
            time.sleep(wait)

    def _exchange(
        self, url: str, accept: tuple[str, ...], max_bytes: int, deadline: float, dog: Watchdog
    ) -> str | tuple[int, dict[str, str], bytes]:
        """One request: the redirect target, or (status, headers, body). Raises DeadlineExceeded
        when the watchdog cut the exchange short, whatever error the cut caused."""
        s = self.settings
        remaining = deadline - time.monotonic()
        if remaining <= 0 or dog.fired:
            raise DeadlineExceeded(f"{url}: deadline of {s.fetch_deadline_s}s passed")
        try:
            self.requests_sent.append(url)
            resp = self.session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(min(s.fetch_connect_timeout_s, remaining), min(s.fetch_read_timeout_s, remaining)),
            )
        except requests.RequestException as exc:
            if dog.fired or time.monotonic() >= deadline - 0.05:  # a socket timeout cut to the deadline
                raise DeadlineExceeded(f"{url}: no answer within the {s.fetch_deadline_s}s deadline") from None
            raise _classify(url, exc) from exc
        with resp:
            location = resp.headers.get("Location")
            if resp.status_code in REDIRECTS and location:
                return urljoin(url, location.strip())
            _check_status(url, resp)
            headers = {k.lower(): v for k, v in resp.headers.items()}
            _check_type(url, headers, accept)
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise PermanentError(f"{url}: Content-Length {declared} is over the cap of {max_bytes} bytes")
            try:
                body = b"".join(_read_capped(url, resp, max_bytes, deadline, s.fetch_deadline_s))
            except TransientError:
                if dog.fired or time.monotonic() >= deadline - 0.05:  # a socket timeout cut to the deadline
                    raise DeadlineExceeded(
                        f"{url}: body not received within the {s.fetch_deadline_s}s deadline"
                    ) from None
                raise
            if dog.fired:  # the cut may look like a clean end of the body
                raise DeadlineExceeded(f"{url}: body not received within the {s.fetch_deadline_s}s deadline")
            _check_binary(url, headers, accept, body)
            return resp.status_code, headers, body


def _read_capped(url: str, resp: requests.Response, max_bytes: int, deadline: float, total_s: float) -> Iterator[bytes]:
    """Yield the (decoded) body in small reads, stopping at the size cap or the deadline."""
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise DeadlineExceeded(f"{url}: body not received within the {total_s}s deadline")
            chunk = resp.raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return
            size += len(chunk)
            if size > max_bytes:
                raise PermanentError(f"{url}: response larger than the cap of {max_bytes} bytes")
            yield chunk
    except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ProtocolError) as exc:
        raise TransientError(f"{url}: connection failed while reading ({type(exc).__name__})") from exc
    except (urllib3.exceptions.DecodeError, urllib3.exceptions.SSLError) as exc:
        raise PermanentError(f"{url}: unreadable body ({type(exc).__name__})") from exc


def _classify(url: str, exc: requests.RequestException) -> Exception:
    """A requests exception as a pipeline error."""
    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.SSLError):
        return PermanentError(f"{url}: TLS failure ({exc})")
    if isinstance(exc, requests.Timeout | requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return TransientError(f"{url}: {name}")
    return PermanentError(f"{url}: {name}: {exc}")


def _check_status(url: str, resp: requests.Response) -> None:
    code = resp.status_code
    if code == 429 or code >= 500:
        retry_after = _retry_after_s(resp.headers.get("Retry-After"))
        raise RetryableStatus(f"{url}: HTTP {code}", retry_after)
    if code >= 400:
        raise PermanentError(f"{url}: HTTP {code}")
    if code >= 300:
        raise PermanentError(f"{url}: HTTP {code} without a Location")


def _check_type(url: str, headers: dict[str, str], accept: tuple[str, ...]) -> None:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if not accept:
        return
    if not media:
        return  # many small servers send none; the body is sniffed (HTML parse, image decode) instead
    if any(media == a or (a.endswith("/") and media.startswith(a)) for a in accept):
        return
    raise PermanentError(f"{url}: content type {media!r} is not one of {', '.join(accept)}")


def _check_binary(url: str, headers: dict[str, str], accept: tuple[str, ...], body: bytes) -> None:
    """A body the caller wants as text (a page, a stylesheet) that is really binary is not used."""
    if not accept or any(a.startswith("image/") or a == "application/octet-stream" for a in accept):
        return
    reason = sniff.binary_page(body)
    if reason:
        media = headers.get("content-type", "").split(";")[0].strip() or "no content type"
        raise PermanentError(f"{url}: declared {media} but the body is {reason}: not a page")


def same_origin(a: str, b: str) -> bool:
    """True when two URLs share scheme, host and port."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)
