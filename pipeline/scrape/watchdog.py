"""A deadline for a whole HTTP exchange, headers included.

requests' timeouts bound each socket read, so a server that drips its status line one byte every
few seconds never trips them. `Watchdog` arms a timer for the exchange; when it fires it shuts down
every socket the fetcher has open, which makes the blocked read return at once, and the caller turns
the resulting connection error into a deadline error (`fired`)."""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from types import TracebackType


class Sockets:
    """The sockets a fetcher opened (weakly held: closed and collected ones drop out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket) -> None:
        """Track a socket (the raw one at connect, the TLS one after the handshake)."""
        with self._lock:
            self._live.add(sock)

    def shut_all(self) -> None:
        """Shut every tracked socket down; a blocked recv() on it returns immediately."""
        with self._lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """`with Watchdog(seconds, sockets) as dog:` shuts `sockets` down after `seconds` unless the
    block ended first; `dog.fired` tells afterwards whether it did."""

    def __init__(self, seconds: float, sockets: Sockets) -> None:
        self.fired = False
        self._sockets = sockets
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        self._sockets.shut_all()

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._timer.cancel()
