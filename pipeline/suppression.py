"""The suppression list: addresses and whole domains that are never emailed.

Kept in Redis so every worker on every host sees the same list, as two hashes:
    pl:suppress:addr     lower-cased address → JSON Suppression
    pl:suppress:domain   lower-cased ASCII domain → JSON Suppression
It is checked at ingest (the lead ends `suppressed`) and again right before each send. Entries come
from people (`pipeline suppress add|import`), from unsubscribes (one-click or the footer page), and
from bounces (a 5xx at RCPT).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Literal

import redis
from pydantic import BaseModel, Field

from pipeline.errors import InputError
from pipeline.models import utcnow
from pipeline.store import PREFIX

ADDRESSES = f"{PREFIX}suppress:addr"
DOMAINS = f"{PREFIX}suppress:domain"

Reason = Literal["manual", "unsubscribed", "bounced", "imported"]


class Suppression(BaseModel):
    """Why and when an address or domain was suppressed."""

    entry: str
    kind: Literal["address", "domain"]
    reason: Reason = "manual"
    detail: str = ""
    at: str = Field(default_factory=lambda: utcnow().isoformat(timespec="seconds"))


_BAD_CHAR = re.compile(r"[\s\x00-\x1f]")
# An ASCII address whose domain labels are 1-63 letters, digits and inner hyphens: its IDNA form is
# itself, so `normalise` returns it as it is (ingest checks every lead's address against the list).
_PLAIN_ADDRESS = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


def normalise(entry: str) -> tuple[Literal["address", "domain"], str]:
    """`user@host` is an address, `host` or `@host` a whole domain; both lower-cased, the domain in
    its ASCII (punycode) form. InputError for anything else."""
    raw = entry.strip().lower()
    if _PLAIN_ADDRESS.fullmatch(raw):  # most entries: nothing below would change or refuse them
        return "address", raw
    if not raw or _BAD_CHAR.search(raw) or raw.count("@") > 1:
        raise InputError(f"not an address or domain: {entry!r}")
    local, _, domain = raw.rpartition("@")
    domain = domain.rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InputError(f"not a valid domain: {entry!r}") from None
    if "." not in domain or domain.startswith(".") or ".." in domain:
        raise InputError(f"not a valid domain: {entry!r}")
    if local:
        return "address", f"{local}@{domain}"
    return "domain", domain


def _hash(kind: str) -> str:
    return ADDRESSES if kind == "address" else DOMAINS


def add(conn: redis.Redis, entry: str, reason: Reason = "manual", detail: str = "") -> Suppression:
    """Suppress an address or domain (idempotent: the first reason recorded is kept)."""
    kind, value = normalise(entry)
    item = Suppression(entry=value, kind=kind, reason=reason, detail=detail[:500])
    conn.hsetnx(_hash(kind), value, item.model_dump_json())
    return item


def remove(conn: redis.Redis, entry: str) -> bool:
    """Lift a suppression; True when there was one."""
    kind, value = normalise(entry)
    return bool(conn.hdel(_hash(kind), value))


def _covering(email: str) -> tuple[str, list[str]]:
    """The address and the domains (its own and every parent) whose entries cover it."""
    _, value = normalise(email)
    labels = value.rsplit("@", 1)[-1].split(".")
    return value, [".".join(labels[i:]) for i in range(len(labels) - 1)]


def suppressed_among(conn: redis.Redis, emails: list[str]) -> dict[str, Suppression]:
    """The suppressions covering any of these addresses (by the address as given), in one round trip."""
    if not emails:
        return {}
    covering = [_covering(email) for email in emails]
    domains = sorted({d for _, ds in covering for d in ds})
    with conn.pipeline(transaction=False) as pipe:  # two commands for the whole batch
        pipe.hmget(ADDRESSES, [value for value, _ in covering])
        pipe.hmget(DOMAINS, domains or [""])
        by_address, by_domain = pipe.execute()
    domain_hits = {d: raw for d, raw in zip(domains, by_domain, strict=False) if raw}
    found: dict[str, Suppression] = {}
    for email, (_, ds), raw in zip(emails, covering, by_address, strict=True):
        hit = raw or next((domain_hits[d] for d in ds if d in domain_hits), None)
        if hit is not None:
            found[email] = Suppression.model_validate_json(hit)
    return found


def reason_for(conn: redis.Redis, email: str) -> Suppression | None:
    """The suppression that covers this address (the address itself, its domain or a parent
    domain), or None when it may be emailed."""
    return suppressed_among(conn, [email]).get(email)


def size(conn: redis.Redis) -> int:
    """Number of suppressed addresses and domains."""
    with conn.pipeline(transaction=False) as pipe:
        pipe.hlen(ADDRESSES)
        pipe.hlen(DOMAINS)
        return sum(int(n) for n in pipe.execute())


def entries(conn: redis.Redis) -> Iterator[Suppression]:
    """Every suppression, addresses first, each group sorted."""
    for key in (ADDRESSES, DOMAINS):
        raw: dict[bytes, bytes] = conn.hgetall(key)  # type: ignore[assignment]
        for name in sorted(raw):
            yield Suppression.model_validate_json(raw[name])


def parse_lines(lines: Iterable[str]) -> Iterator[str]:
    """Entries of an import file: one per line, or the first cell of a CSV row; `#` comments and a
    header line (`email`, `address`, `entry`, `domain`) are skipped."""
    for line in lines:
        cell = line.split("#", 1)[0].strip().split(",", 1)[0].split(";", 1)[0].strip().strip('"')
        if cell and cell.lower() not in ("email", "address", "entry", "domain"):
            yield cell
