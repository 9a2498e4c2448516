"""Structured logs: every line carries run id, lead key, stage, job id and attempt where they apply.

Two formats (`PIPELINE_LOG_FORMAT`): `text` (`... lead=abc stage=scrape job=... message`, only the
fields that apply) and `json` (one object a line, for log shippers). Secrets named by the settings
(SMTP password, webhook URLs, routing keys, the Sentry DSN) are replaced by `***` in every line.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("pipeline_log_context", default={})  # noqa: B039

FIELDS = ("run", "lead", "stage", "job", "attempt")
LOGGERS = ("pipeline", "rq.worker", "rq.job", "rq.scheduler", "workers")


class ContextFilter(logging.Filter):
    """Adds the current run/lead/stage/job/attempt to every record (only those that are known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the context as `record.context` (a dict)."""
        record.context = {k: v for k, v in _context.get().items() if v and v != "-"}
        return True


class Redactor(logging.Filter):
    """Replaces secret values in the rendered message (arguments included) with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrubbed, so no formatter can print a secret."""
        if self.secrets:
            record.msg, record.args = self.scrub(record.getMessage()), None
            if record.exc_info and not record.exc_text:
                record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = self.scrub(record.exc_text)
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger run=… lead=… message`, with only the context fields that apply."""

    def format(self, record: logging.LogRecord) -> str:
        """One line (plus a traceback, when there is one)."""
        ctx = getattr(record, "context", {})
        fields = "".join(f" {k}={ctx[k]}" for k in FIELDS if k in ctx)
        line = f"{self.formatTime(record)} {record.levelname} {record.name}{fields} {record.getMessage()}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return f"{line}\n{record.exc_text}" if record.exc_text else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context fields, and `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context", {}),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


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


def setup(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Configure our loggers and RQ's (which do not propagate in RQ 3) with the structured format."""
    global _level
    _level = level
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(Redactor(secrets))
    for name in LOGGERS:
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(_level)
        log.propagate = False
    # RQ's scheduler announces every lock it takes; at INFO that drowns the pipeline's own lines.
    logging.getLogger("rq.scheduler").setLevel(max(logging.WARNING, logging.getLevelName(_level)))
