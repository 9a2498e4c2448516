"""Typed data of the pipeline: the CSV row, the lead record, stage outputs and run records.

The scrape stage's output, `BrandProfile` and its parts, lives in `pipeline.brand` and is
re-exported here.

Stage outputs are stored with `model_dump(mode="json")`; jobs carry only a lead key, a stage and a
generation, never these objects.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from pipeline.brand import BrandProfile as BrandProfile
from pipeline.brand import HoursRow as HoursRow
from pipeline.brand import LogoAsset as LogoAsset
from pipeline.brand import Palette as Palette
from pipeline.brand import Photo as Photo
from pipeline.brand import ServiceItem as ServiceItem
from pipeline.brand import Testimonial as Testimonial
from pipeline.netguard import host_block_reason


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class Stage(StrEnum):
    """The five stages, in order; each is one RQ queue of the same name."""

    SCRAPE = "scrape"
    BUILD = "build"
    DEPLOY = "deploy"
    QA = "qa"
    EMAIL = "email"

    @property
    def next(self) -> Stage | None:
        """The stage that follows this one, None after email."""
        order = list(Stage)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class LeadState(StrEnum):
    """Where a lead is. The last five are terminal: every lead ends in exactly one of them."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    EMAILED = "emailed"
    HELD = "held"
    REJECTED = "rejected"
    DEAD = "dead"
    SUPPRESSED = "suppressed"

    @property
    def terminal(self) -> bool:
        """True for the states a lead ends in."""
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {LeadState.EMAILED, LeadState.HELD, LeadState.REJECTED, LeadState.DEAD, LeadState.SUPPRESSED}
)

CSV_REQUIRED = ("company", "website", "email")
CSV_OPTIONAL = ("first_name", "last_name", "phone", "city", "country", "notes")


def normalise_website(value: str, *, allow_loopback: bool = False) -> str:
    """Normalise a website cell to an absolute http(s) URL with a lower-case host.

    A bare host gets `https://`; other schemes, credentials and refused hosts raise ValueError."""
    raw = value.strip()
    if not raw:
        raise ValueError("website is empty")
    if "://" not in raw:
        if ":" in raw.split("/", 1)[0] and not raw.split(":", 1)[1][:1].isdigit():
            raise ValueError(f"scheme {raw.split(':', 1)[0]!r} is not http(s)")
        raw = "https://" + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme {scheme!r} is not http(s)")
    if parts.username or parts.password:
        raise ValueError("website must not carry credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("website has no host")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(f"website host is not a valid name: {exc}") from None
    reason = host_block_reason(host, allow_loopback=allow_loopback)
    if reason:
        raise ValueError(f"website host refused: {reason}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("website port is not a number in 1-65535") from None
    netloc = f"[{host}]" if ":" in host else host
    if port and not (scheme == "https" and port == 443) and not (scheme == "http" and port == 80):
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_PLAIN_EMAIL = re.compile(rf"({_DOT_ATOM})@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}})")


_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_USE_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)


def plain_ascii_email(value: str) -> str | None:
    """The normalised address when `value` is a plain ASCII address (dot-atom local part, an
    ordinary domain), None when it needs the full check. It accepts a subset of what
    `email_validator` accepts, with the same result (checked by a property test); it exists
    because the full check is most of ingest's validation time."""
    m = _PLAIN_EMAIL.fullmatch(value)
    if m is None:
        return None
    local, domain = m.group(1), m.group(2).lower()
    if len(local) > 64 or len(value) > 254 or "--" in domain:  # limits, and IDNA's hyphen rules
        return None
    if domain in _SPECIAL_USE or domain.endswith(_SPECIAL_USE_SUFFIXES):
        return None
    return f"{local}@{domain}"


def lead_key_for(website: str, email: str) -> str:
    """Short stable key of a prospect: hash of normalised host[:port] and lower-cased email."""
    # A normalised website is `scheme://netloc/...`: its netloc without a second urlsplit.
    parts = website.split("/", 3)
    if len(parts) == 4 and parts[0] in ("https:", "http:") and not parts[1] and not set(parts[2]) & set("?#@\\"):
        netloc = parts[2].lower()
    else:
        netloc = urlsplit(website).netloc.lower()
    netloc = netloc[4:] if netloc.startswith("www.") else netloc
    digest = hashlib.sha256(f"{netloc}|{email.strip().lower()}".encode()).hexdigest()
    return digest[:16]


class LeadInput(BaseModel):
    """One validated CSV row. Validate input with a context (`{"allow_loopback": bool}`): that is
    what applies the website host policy."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    company: str = Field(min_length=1, max_length=200)
    website: str
    email: str
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=50)
    city: str = Field("", max_length=100)
    country: str = Field("", max_length=100)
    notes: str = Field("", max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _no_line_breaks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, str) and ("\r" in value or "\n" in value):
                    raise ValueError(f"{name}: line breaks are not allowed in a field")
        return data

    @field_validator("website")
    @classmethod
    def _website(cls, value: str, info: ValidationInfo) -> str:
        # The host policy applies to input (ingest passes a context); a record loaded back from
        # the store was checked when it came in and is not re-judged by this process's settings.
        if info.context is None:
            return value
        return normalise_website(value, allow_loopback=bool(info.context.get("allow_loopback")))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        # Only addresses every SMTP server can take: an ASCII local part (no SMTPUTF8), and an
        # international domain in its punycode form.
        fast = plain_ascii_email(value)
        if fast is not None:
            return fast
        try:
            info = validate_email(value, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError as exc:
            raise ValueError(f"invalid email address: {exc}") from None
        return info.ascii_email or info.normalized

    @cached_property
    def key(self) -> str:
        """The lead key (see `lead_key_for`), computed once: ingest asks for it several times a row."""
        return lead_key_for(self.website, self.email)


class SiteBundle(BaseModel):
    """A built site: relative path → file bytes (base64), and the content hash that is its version."""

    slug: str
    theme: str
    files: dict[str, str]
    content_hash: str


class DeployResult(BaseModel):
    """Where a bundle was published."""

    url: str
    version: str
    target: str = "local"
    changed: bool = Field(True, description="False when this version was already live (a no-op re-deploy).")
    previous: str | None = Field(None, description="The version that was live before, kept for rollback.")


Verdict = Literal["pass", "fail", "review"]


class GateCheck(BaseModel):
    """One quality gate's verdict, with evidence (measurements, offending elements, violations)."""

    name: str
    status: Verdict
    detail: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)


class GateReport(BaseModel):
    """All gates of one site; `passed` only when every gate passes. `verdict`: `fail` when any gate
    failed, `review` when none failed but some result sits within the review band of a threshold."""

    url: str
    checks: list[GateCheck]
    layout: str | None = None
    seconds: float | None = None
    screenshots: dict[str, str] = Field(
        default_factory=dict, description="view (desktop, mobile, prospect) → Redis key of its WebP"
    )
    checked_at: datetime = Field(default_factory=utcnow)

    @property
    def passed(self) -> bool:
        """True when every gate passed."""
        return all(c.status == "pass" for c in self.checks)

    @property
    def verdict(self) -> Verdict:
        """The report's overall verdict."""
        statuses = {c.status for c in self.checks}
        return "fail" if "fail" in statuses else "review" if "review" in statuses else "pass"


class QaStatus(StrEnum):
    """Whether a lead may be emailed, as far as the quality gates go: only `passed` and `approved`
    may (`LeadRecord.cleared_for_email`)."""

    PASSED = "passed"
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewDecision(BaseModel):
    """A person's decision on a held lead."""

    decision: Literal["approved", "rejected"]
    by: str
    at: datetime = Field(default_factory=utcnow)
    reason: str = ""


class EmailResult(BaseModel):
    """An outreach email that left the pipeline."""

    message_id: str
    transport: Literal["outbox", "smtp", "none"]
    location: str
    status: Literal["sent", "suppressed", "rejected", "held"] = Field(
        "sent", description="`sent`, or why nothing was sent (the lead ends in that state)."
    )
    reason: str = ""


class StageEvent(BaseModel):
    """One line of a lead's history (its trail: a capped Redis stream, see `Store.trail`)."""

    at: datetime = Field(default_factory=utcnow)
    stage: str | None = None
    event: str
    detail: str = ""
    job: str | None = Field(None, description="RQ job id, when a job recorded the event.")
    attempt: int | None = Field(None, description="Attempt number of the stage, when it applies.")
    seconds: float | None = Field(None, description="How long the step took, when it applies.")


class LeadRecord(BaseModel):
    """A lead's bookkeeping in Redis: state, stage, attempts, errors, outputs' summaries."""

    key: str
    lead: LeadInput
    run_id: str
    state: LeadState = LeadState.QUEUED
    stage: Stage = Stage.SCRAPE
    generation: int = 1
    attempts: dict[str, int] = Field(default_factory=dict)
    abandoned: dict[str, int] = Field(
        default_factory=dict, description="Per stage: jobs lost to a killed worker or a job timeout (own budget)."
    )
    reconciles: dict[str, int] = Field(
        default_factory=dict, description="Per stage: times `pipeline reconcile` re-enqueued a stranded job."
    )
    last_error: str | None = None
    degraded: list[str] = Field(default_factory=list)
    site_url: str | None = None
    email_status: str | None = None
    email_file: str | None = None
    approved_by: str | None = Field(None, description="Who approved this lead for email despite its gates.")
    qa_status: QaStatus | None = Field(None, description="The gates' word on emailing this lead (see QaStatus).")
    review: ReviewDecision | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    history: list[StageEvent] = Field(
        default_factory=list,
        exclude=True,
        description="Events noted since the record was loaded; `Store.save` appends them to the lead's trail.",
    )

    @property
    def cleared_for_email(self) -> bool:
        """True when the quality gates passed or a person approved the lead after review."""
        return self.qa_status in (QaStatus.PASSED, QaStatus.APPROVED)

    def note(
        self,
        event: str,
        detail: str = "",
        stage: Stage | None = None,
        *,
        job: str | None = None,
        attempt: int | None = None,
        seconds: float | None = None,
    ) -> None:
        """Note an event for the lead's trail and bump `updated_at`."""
        self.updated_at = utcnow()
        self.history.append(
            StageEvent(
                at=self.updated_at,
                stage=stage or self.stage,
                event=event,
                detail=detail[:2000],
                job=job,
                attempt=attempt,
                seconds=None if seconds is None else round(seconds, 3),
            )
        )


class RunRecord(BaseModel):
    """One ingest of one file."""

    run_id: str
    source: str
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    deadline: datetime | None = None
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    enqueued: int = 0
    suppressed: int = 0
    rejects_file: str | None = None
    encoding: str = "utf-8"  # how the file was decoded (a legacy encoding when it was not UTF-8)
    held: str | None = Field(None, description="Why the run waits for `pipeline runs approve` (schema drift).")
