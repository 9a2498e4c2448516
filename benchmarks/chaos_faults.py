"""The chaos suite's faulty stand-ins, all on 127.0.0.1: prospect sites that stall, reset, answer
5xx or cut their bodies short, and an SMTP server (aiosmtpd) that answers 4xx/5xx, drops the
connection mid-DATA or loses its final reply after accepting a message. Fault injection lives
here and in the harness only, never in product code."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

SITES = Path(__file__).resolve().parents[1] / "examples" / "sites"
TEMPLATES = ["rosies-bakery", "northside-plumbing", "bloom-florist"]
PLACEHOLDER_EVERY = 10  # site i with i % 10 == 7 opens with placeholder copy: the built page fails its gates
BOUNCE_EVERY = 25  # recipient i with i % 25 == 11 does not exist: a permanent 550 at RCPT


@dataclass
class Faults:
    """Fault rates (0..1) and what was injected, shared by every server of a run."""

    seed: int = 15
    http_delay: float = 0.04
    http_reset: float = 0.03
    http_5xx: float = 0.04
    http_truncate: float = 0.03
    smtp_4xx: float = 0.06
    smtp_5xx_data: float = 0.01
    smtp_drop_mid_data: float = 0.015
    smtp_lost_reply: float = 0.015
    injected: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def roll(self, **rates: float) -> str | None:
        """Pick at most one fault by its rate; counts it."""
        with self.lock:
            r = self.rng.random()
            for name, rate in rates.items():
                if r < rate:
                    self.injected[name] += 1
                    return name
                r -= rate
            return None

    def count(self, name: str) -> None:
        """Count a deterministic fault."""
        with self.lock:
            self.injected[name] += 1


def site_page(i: int) -> bytes:
    """Home page of prospect site `i` (one of the example sites; some with placeholder copy)."""
    html = (SITES / TEMPLATES[i % len(TEMPLATES)] / "index.html").read_text()
    if i % PLACEHOLDER_EVERY == 7:  # the first paragraph long enough to be the business's copy
        story = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. TODO: write our story here before launch."
        html = html.replace("<main>", f"<main><section><p>{story}</p></section>", 1)
    return html.encode()


def _handler(faults: Faults) -> type[BaseHTTPRequestHandler]:
    class FaultySite(BaseHTTPRequestHandler):
        """/s/<i>/<file>: prospect site i; faults drawn per request."""

        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].split("/")
            if len(parts) < 3 or parts[1] != "s" or not parts[2].isdigit():
                self._send(404, b"not found", "text/plain")
                return
            i, name = int(parts[2]), "/".join(parts[3:]) or "index.html"
            if name == "index.html":
                body, ctype = site_page(i), "text/html; charset=utf-8"
            elif (SITES / TEMPLATES[i % 3] / name).is_file() and ".." not in name:
                body = (SITES / TEMPLATES[i % 3] / name).read_bytes()
                ctype = "image/svg+xml" if name.endswith(".svg") else "text/css"
            else:
                self._send(404, b"not found", "text/plain")
                return
            fault = faults.roll(
                http_delay=faults.http_delay,
                http_reset=faults.http_reset,
                http_5xx=faults.http_5xx,
                http_truncate=faults.http_truncate,
            )
            if fault == "http_delay":
                time.sleep(faults.rng.uniform(0.5, 3.0))
            elif fault == "http_reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            elif fault == "http_5xx":
                self._send(503, b"busy", "text/plain")
                return
            elif fault == "http_truncate":
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 3])
                self.close_connection = True
                return
            self._send(200, body, ctype)

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                self.close_connection = True

    return FaultySite


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that give up (timeouts) are expected here: no traceback."""


class FaultySites:
    """The prospect sites' server, on a free loopback port, in a thread."""

    def __init__(self, faults: Faults) -> None:
        self.server = _QuietServer(("127.0.0.1", 0), _handler(faults))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def url(self, i: int) -> str:
        """Website of prospect i."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/s/{i}/"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Delivered:
    """One message the SMTP server accepted (its client may never have heard so)."""

    message_id: str
    recipients: list[str]


class FaultySmtpHandler:
    """aiosmtpd handler: records accepted messages and injects faults."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.delivered: list[Delivered] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        """Bounce recipients answer 550 (permanent); some others 451 (try again)."""
        if address.startswith("bounce"):
            self.faults.count("smtp_550_rcpt")
            return "550 5.1.1 no such mailbox"
        if self.faults.roll(smtp_451_rcpt=self.faults.smtp_4xx):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept, refuse (451/554), drop the connection before accepting, or accept and lose the reply."""
        fault = self.faults.roll(
            smtp_451_data=self.faults.smtp_4xx / 2,
            smtp_554_data=self.faults.smtp_5xx_data,
            smtp_drop_mid_data=self.faults.smtp_drop_mid_data,
            smtp_lost_reply=self.faults.smtp_lost_reply,
        )
        if fault == "smtp_451_data":
            return "451 4.3.0 queue full, try again"
        if fault == "smtp_554_data":
            return "554 5.6.0 message refused"
        if fault == "smtp_drop_mid_data":
            server.transport.abort()
            return "421 closing"
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.delivered.append(Delivered(str(headers["Message-ID"]), list(envelope.rcpt_tos)))
        if fault == "smtp_lost_reply":
            server.transport.abort()
            return "421 closing"
        return "250 2.0.0 queued"


class FaultySmtp:
    """The SMTP server on a free loopback port."""

    def __init__(self, faults: Faults) -> None:
        self.handler = FaultySmtpHandler(faults)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        """Stop serving."""
        self.controller.stop()
