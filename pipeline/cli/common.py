"""What every CLI command shares: the App object, clean user errors, the console."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
import redis
from rich.console import Console

from pipeline import redis_conn
from pipeline.errors import PipelineError
from pipeline.settings import Settings
from pipeline.store import Store

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
    def redis_url(self) -> str:
        """The Redis URL in force."""
        return redis_conn.redis_url(self.settings)

    def store(self) -> Store:
        """The lead store."""
        return Store(self.conn, self.settings.output_ttl_s, self.settings.trail_max_events)


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
