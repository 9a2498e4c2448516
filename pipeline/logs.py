"""Structured logs: every line carries run id, lead key, stage and job id when it has them."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("pipeline_log_context", default={})  # noqa: B039

FORMAT = "%(asctime)s %(levelname)s %(name)s run=%(run)s lead=%(lead)s stage=%(stage)s job=%(job)s %(message)s"


class ContextFilter(logging.Filter):
    """Adds the current run/lead/stage/job to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the context fields (`-` when unknown)."""
        ctx = _context.get()
        for name in ("run", "lead", "stage", "job"):
            setattr(record, name, ctx.get(name, "-"))
        return True


@contextmanager
def context(**fields: str) -> Iterator[None]:
    """Within the block, log lines carry these fields."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


_level = "INFO"


def level() -> str:
    """The level `setup` configured."""
    return _level


def setup(level: str = "INFO") -> None:
    """Configure our logger and RQ's (which do not propagate in RQ 3) with the structured format."""
    global _level
    _level = level
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ContextFilter())
    for name in ("pipeline", "rq.worker", "rq.job", "rq.scheduler", "workers"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(_level)
        log.propagate = False
    # RQ's scheduler announces every lock it takes; at INFO that drowns the pipeline's own lines.
    logging.getLogger("rq.scheduler").setLevel(max(logging.WARNING, logging.getLevelName(_level)))
