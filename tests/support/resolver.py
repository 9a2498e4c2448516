"""A resolver for the scraper's `Fetcher` that knows loopback and nothing else, so tests and
benchmarks can never send traffic off 127.0.0.1 (a URL on any other host fails like an unknown name)."""

from __future__ import annotations

import socket


def loopback_only(host: str, port: int) -> list[str]:
    """127.0.0.1 for loopback names; any other host raises `socket.gaierror` (EAI_NONAME)."""
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, f"loopback-only resolver: {host} is not loopback")
