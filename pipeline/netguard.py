"""Which URLs and addresses the pipeline may contact. Pure decisions: nothing here sends traffic.

Only http(s) to public addresses. Loopback (127.0.0.0/8, ::1, localhost) is accepted only when
`Settings.allow_loopback` is on (tests and `make demo`); nothing else private ever is.
`check_url` decides on the URL alone; `resolve_checked` resolves a host and checks every address,
and the scraper's HTTP client connects only to an address it returned.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from pipeline.errors import BlockedAddress, PermanentError, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def parse_ip(host: str) -> IPAddress | None:
    """Return the address a host string denotes literally, including legacy numeric IPv4 forms
    (`2130706433`, `0x7f.1`, `0177.0.0.1`) that resolvers accept, or None for a name."""
    host = host.strip("[]")
    if not host[:1].isdigit() and ":" not in host:
        return None  # every literal form (dotted, decimal, octal, hex) starts with a digit; IPv6 has a colon
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host) and not host.replace(".", "").isalpha():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def ip_block_reason(ip: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why this address must not be contacted, or None when it may be."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            return ip_block_reason(mapped, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved or not ip.is_global:
        return "reserved address"
    return None


def is_loopback_host(host: str) -> bool:
    """Whether a bind address or host name stays on this machine (127.0.0.0/8, ::1, localhost)."""
    host = host.lower().strip("[]").rstrip(".")
    ip = parse_ip(host)
    return host == "localhost" if ip is None else ip.is_loopback


def host_block_reason(host: str, *, allow_loopback: bool) -> str | None:
    """Why a host (name or literal address) is refused without resolving it, or None."""
    host = host.lower().rstrip(".")
    if not host:
        return "empty host"
    ip = parse_ip(host)
    if ip is not None:
        return ip_block_reason(ip, allow_loopback=allow_loopback)
    if host == "localhost" or host.endswith(".localhost"):
        return None if allow_loopback else "loopback host"
    labels = host.split(".")
    if len(labels) < 2:
        return "host is not a public domain name"
    if not all(_LABEL.match(label) for label in labels):
        return "host is not a valid domain name"
    if labels[-1] in {"local", "internal", "lan", "home", "corp", "intranet", "arpa", "test", "invalid"}:
        return "host is in a private-use domain"
    return None


def check_url(url: str, *, allow_loopback: bool) -> None:
    """Raise `BlockedAddress` unless `url` is http(s) to a host that may be contacted."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress(f"scheme {parts.scheme or '(none)'!r} is not http(s)")
    reason = host_block_reason(parts.hostname or "", allow_loopback=allow_loopback)
    if reason:
        raise BlockedAddress(f"{parts.hostname or url}: {reason}")


Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (TCP), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_checked(
    host: str, port: int, *, allow_loopback: bool, resolver: Resolver = system_resolver
) -> list[IPAddress]:
    """Resolve `host` and return its addresses, refusing the host when ANY of them may not be contacted.

    Refusing on any (not only the first) bad address keeps a name that mixes a public and a private
    record from reaching the private one. The caller connects only to an address returned here, so
    what was checked is what is contacted (no second lookup for DNS rebinding to exploit).
    DNS failures are permanent, except the resolver's "try again" (EAI_AGAIN), which is transient."""
    host = host.strip("[]").rstrip(".")
    reason = host_block_reason(host, allow_loopback=allow_loopback)
    if reason:
        raise BlockedAddress(f"{host}: {reason}")
    literal = parse_ip(host)
    try:
        raw = [str(literal)] if literal is not None else list(resolver(host, port))
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise TransientError(f"{host}: DNS lookup failed for now ({exc})") from exc
        raise PermanentError(f"{host}: DNS lookup failed ({exc})") from exc
    except UnicodeError as exc:
        raise PermanentError(f"{host}: not a valid host name ({exc})") from exc
    ips: list[IPAddress] = []
    for text in raw:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError as exc:
            raise PermanentError(f"{host}: resolver returned a non-address {text!r}") from exc
        reason = ip_block_reason(ip, allow_loopback=allow_loopback)
        if reason:
            raise BlockedAddress(f"{host} resolves to {ip}: {reason}")
        if ip not in ips:
            ips.append(ip)
    if not ips:
        raise PermanentError(f"{host}: DNS lookup returned no address")
    return ips
