"""A scripted SMTP server on 127.0.0.1 for behaviours aiosmtpd cannot produce: an odd answer to
QUIT, or the connection dropped after the message was sent. It speaks real SMTP over a socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Script:
    """How the server answers. `after_data` is the reply to the end of the message; None drops
    the connection instead of answering."""

    after_data: bytes | None = b"250 2.0.0 queued\r\n"
    quit_reply: bytes = b"221 bye\r\n"
    greeting: bytes | None = b"220 scripted ESMTP\r\n"  # None: accept the connection, then say nothing
    messages: int = 0
    commands: list[str] = field(default_factory=list)


def _session(conn: socket.socket, script: Script) -> None:
    reader = conn.makefile("rb")
    if script.greeting is None:
        conn.recv(1)  # silent until the client gives up and closes
        return
    conn.sendall(script.greeting)
    if not script.greeting.startswith(b"2"):
        return
    in_data = False
    for line in reader:
        if in_data:
            if line == b".\r\n":
                in_data = False
                script.messages += 1
                if script.after_data is None:
                    return
                conn.sendall(script.after_data)
            continue
        command = line.strip().upper()
        script.commands.append(command.decode(errors="replace").split(" ")[0])
        if command.startswith(b"DATA"):
            in_data = True
            conn.sendall(b"354 go ahead\r\n")
        elif command.startswith(b"QUIT"):
            conn.sendall(script.quit_reply)
            return
        else:
            conn.sendall(b"250 ok\r\n")


@contextmanager
def scripted_smtp(script: Script) -> Iterator[int]:
    """Serve one SMTP session at a time following `script`; yields the port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                _session(conn, script)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
