"""What every CLI command shares: the App object, clean user errors, the console."""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
import redis
from pydantic import BaseModel
from rich.console import Console

from pipeline import redis_conn
from pipeline.errors import PipelineError
from pipeline.settings import Settings
from pipeline.store import Store
from workers.lifecycle import wait_for_redis

F = TypeVar("F", bound=Callable[..., Any])
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)


@dataclass
class App:
    """What every command gets: the settings and, on first use, a Redis connection."""

    settings: Settings
    _conn: redis.Redis | None = field(default=None, repr=False)

    @property
    def conn(self) -> redis.Redis:
        """Connection to the Redis in force (starts the embedded one when needed)."""
        if self._conn is None:
            self._conn = redis_conn.connect(self.settings)
        return self._conn

    @property
    def read_conn(self) -> redis.Redis:
        """Connection for read-only commands: never starts the embedded Redis; a clear error
        (`RedisDown`, exit 1) when the Redis in force does not answer."""
        if self._conn is None:
            client = redis_conn.connect(self.settings, start=False)
            try:
                client.ping()
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                raise RedisDown(redis_conn.down_message(self.settings)) from None
            self._conn = client
        return self._conn

    def waited_conn(self, process: str) -> redis.Redis | None:
        """Connection for long-running processes (worker, metrics): never starts Redis; waits for
        it with backoff, one log line per attempt, so the Procfile starts in any order. None when a
        SIGINT/SIGTERM came meanwhile (logged in one line: the caller just returns)."""
        client = redis_conn.connect(self.settings, start=False)
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            up = wait_for_redis(client, self.redis_url, stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not up:
            logging.getLogger("pipeline.cli").info("%s pid %d: stopped while waiting for Redis", process, os.getpid())
            return None
        self._conn = client
        return client

    @property
    def redis_url(self) -> str:
        """The Redis URL in force."""
        return redis_conn.redis_url(self.settings)

    def store(self, *, read_only: bool = False) -> Store:
        """The lead store (`read_only`: on `read_conn`, never starting Redis)."""
        return Store(
            self.read_conn if read_only else self.conn, self.settings.output_ttl_s, self.settings.trail_max_events
        )


class ConfigProblem(click.ClickException):
    """A configuration error: one line, exit code 2."""

    exit_code = 2


class RedisDown(click.ClickException):
    """The Redis in force does not answer (read-only commands never start the embedded one)."""


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON for scripts and monitoring (stable fields, see README)."
)


def emit_json(value: Any) -> None:
    """Print `value` (pydantic models, lists and dicts of them) as indented JSON on stdout."""
    click.echo(json.dumps(_plain(value), indent=2, default=str))


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def user_errors(fn: F) -> F:
    """Turn our errors and Redis outages into clean CLI errors (message, exit 1, no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PipelineError as exc:  # InputError, or a refused operation (no previous version, ...)
            raise click.ClickException(str(exc)) from None
        except redis.ConnectionError as exc:
            raise click.ClickException(f"cannot reach Redis: {exc}") from None

    return wrapper  # type: ignore[return-value]


pass_app = click.make_pass_decorator(App)
