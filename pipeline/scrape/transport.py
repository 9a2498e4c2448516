"""The HTTP transport of the scraper's client: connections that resolve their host through the
address guard (`netguard.resolve_checked`), connect only to an address it returned (no second
lookup for DNS rebinding to exploit), and hand their sockets to the fetch watchdog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pipeline import netguard
from pipeline.errors import PermanentError
from pipeline.scrape.watchdog import Sockets


def guarded_adapter(allow_loopback: bool, resolver: netguard.Resolver, sockets: Sockets) -> HTTPAdapter:
    """An adapter whose connections resolve, check and pin the address they connect to, and hand
    their sockets to the watchdog."""

    def pinned_conn(conn: HTTPConnection, connect: Callable[[], Any]) -> Any:
        ips = netguard.resolve_checked(
            conn._dns_host, conn.port or 80, allow_loopback=allow_loopback, resolver=resolver
        )
        original, last = conn._dns_host, None
        try:
            for ip in ips:
                conn._dns_host = str(ip)  # TLS still verifies and sends SNI for `conn.host`
                try:
                    sock = connect()
                    sockets.add(sock)
                    return sock
                except urllib3.exceptions.NewConnectionError as exc:
                    last = exc
        finally:
            conn._dns_host = original
        raise last or PermanentError(f"{conn.host}: no address to connect to")

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> Any:
            return pinned_conn(self, super()._new_conn)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> Any:
            return pinned_conn(self, super()._new_conn)

        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)  # the TLS socket replaces the raw one after the handshake

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}

    return GuardedAdapter(max_retries=0)
