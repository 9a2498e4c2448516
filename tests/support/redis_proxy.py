"""A TCP proxy on 127.0.0.1 in front of a test Redis that can cut a client's connection just
before a chosen `EXEC` or script call (`EVALSHA`) reaches the server (the transaction or script is
then never applied). Fault
injection for tests only: the product talks to it like to any Redis."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

EXEC = b"*1\r\n$4\r\nEXEC\r\n"
MULTI = b"*1\r\n$5\r\nMULTI\r\n"
EVALSHA = b"$7\r\nEVALSHA\r\n"


@dataclass
class CutRule:
    """Cut up to `times` transactions (or script calls) whose commands contain `marker`, before
    they reach Redis: every `every`-th such one (1 = each one)."""

    marker: bytes
    times: int = 1
    every: int = 1
    seen: int = 0
    cuts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, transaction: bytes) -> bool:
        """Whether to cut this transaction (counts it)."""
        with self.lock:
            if self.marker not in transaction:
                return False
            self.seen += 1
            if self.cuts < self.times and self.seen % self.every == 0:
                self.cuts += 1
                return True
            return False


def _upstream(url: str) -> socket.socket:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(parts.path)
        return sock
    return socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))


def _close(*socks: socket.socket) -> None:
    for s in socks:
        with suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)
        s.close()


def _pump_down(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    _close(src, dst)


def _pump_up(client: socket.socket, server: socket.socket, rule: CutRule | None) -> None:
    pending = b""  # bytes since the last MULTI, to judge the transaction at its EXEC
    try:
        while data := client.recv(65536):
            if rule is not None:
                pending = (pending + data)[-1_000_000:]
                if MULTI in data:
                    pending = data[data.rindex(MULTI) :]
                if (EXEC in data and rule.take(pending)) or (EVALSHA in data and rule.take(data)):
                    _close(client, server)  # the EXEC never reaches Redis
                    return
            server.sendall(data)
    except OSError:
        pass
    _close(client, server)


@contextmanager
def redis_proxy(upstream_url: str, rule: CutRule | None = None, db: int = 0) -> Iterator[str]:
    """Serve the proxy on a free loopback port; yields a `redis://` URL through it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = _upstream(upstream_url)
            except OSError:  # Redis is down (restarting): the client sees a closed connection
                _close(client)
                continue
            threading.Thread(target=_pump_up, args=(client, server, rule), daemon=True).start()
            threading.Thread(target=_pump_down, args=(server, client), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/{db}"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
