"""The pipeline's error tree. Wrappers translate library exceptions into it at the boundary.

PipelineError
├── TransientError     timeouts, connection errors, 429/5xx, SMTP 4xx before DATA: retried
├── PermanentError     bad data, 4xx, SMTP 5xx: not retried
│   ├── BlockedAddress a scheme, host or address the pipeline refuses to contact
│   └── AmbiguousSend  the SMTP server may have accepted the message: never retried, held
├── Deferred           not now (the send throttle is out of tokens): rescheduled, no retry used
└── InputError         a file or argument given by a person is unusable (CLI exits non-zero)
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""


class TransientError(PipelineError):
    """Something that may heal by itself: the stage is retried with jitter."""


class PermanentError(PipelineError):
    """Something retrying cannot fix: the job goes straight to the dead-letter queue."""


class AmbiguousSend(PermanentError):
    """An email may or may not have been accepted: never resent automatically, held for a person."""


class BlockedAddress(PermanentError):
    """A URL points at a scheme, host or address the pipeline refuses to contact."""


class Deferred(PipelineError):
    """The stage cannot run yet (no send token, outside sending hours): the job is scheduled
    again after `delay_s` without using up one of its retries."""

    def __init__(self, message: str, delay_s: float) -> None:
        super().__init__(message)
        self.delay_s = delay_s


class InputError(PipelineError):
    """A file or argument given by a person cannot be used at all."""
