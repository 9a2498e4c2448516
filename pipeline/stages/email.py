"""Email stage: lead + site URL → one outreach email, at most once, to an address that may get it.

Before anything is sent, in this order (each check is in the job itself, whatever enqueued it):
1. the lead's QA gates passed, or a person approved it (`approved_by`): otherwise it is held;
2. the address and its domain are not suppressed: otherwise the lead ends `suppressed`;
3. the sending hours (prospect's time zone) and the shared throttle allow a send now: otherwise
   the job is scheduled for when they will (`Deferred`, no retry used up).
Then a `SET NX` guard marks the send *in progress*; the suppression list is read once more; once
the message is accepted (or written to the outbox) the guard becomes *sent*. A guard found *in
progress* means "maybe sent": the lead is held for a person, never resent. A 5xx at RCPT suppresses
the address as bounced, takes the site down and ends the lead `rejected`. Without SMTP settings,
emails are `.eml` files in `var/outbox/`.
"""

from __future__ import annotations

import redis

from pipeline import suppression
from pipeline.errors import AmbiguousSend, Deferred
from pipeline.mail import dkim, hours, thumbnail
from pipeline.mail.compose import Thumbnail, compose, message_id
from pipeline.mail.smtp import Progress, RecipientRefused, send_smtp, wire_bytes, write_outbox
from pipeline.mail.throttle import Limit, Throttle
from pipeline.mail.unsubscribe import unsubscribe_url
from pipeline.models import (
    BrandProfile,
    DeployResult,
    EmailResult,
    GateReport,
    LeadInput,
    LeadState,
    QaStatus,
    SiteBundle,
    Stage,
)
from pipeline.models import utcnow as _utcnow
from pipeline.settings import Settings
from pipeline.stages import StageContext, StageResult
from pipeline.store import guard_key

__all__ = ["guard_key", "message_id", "send_once"]


def limits_for(email: str, settings: Settings) -> list[Limit]:
    """The throttle's limits for one recipient: per window, per day, per recipient domain."""
    domain = email.rsplit("@", 1)[-1].lower()
    return [
        Limit("window", settings.send_cap_per_window, settings.send_window_s),
        Limit("day", settings.send_cap_per_day, 86400),
        Limit(f"domain:{domain}", settings.send_domain_cap, settings.send_window_s),
    ]


def wait_for_slot(conn: redis.Redis, key: str, generation: int, lead: LeadInput, settings: Settings) -> None:
    """Raise `Deferred` when this email may not leave now (outside hours, or no throttle token)."""
    if settings.send_hours:
        zone = hours.zone_for(lead.country, settings.send_default_timezone)
        delay = hours.seconds_until_open(_utcnow(), zone, hours.parse_hours(settings.send_hours))
        if delay > 0:
            raise Deferred(f"outside sending hours ({settings.send_hours} in {zone.key})", delay)
    delay = Throttle(conn).acquire(f"{key}.{generation}", limits_for(lead.email, settings))
    if delay > 0:
        raise Deferred("send throttle: no token free", delay)


def _guard_state(conn: redis.Redis, guard: str) -> str:
    raw = conn.get(guard)
    return raw.decode() if isinstance(raw, bytes) else str(raw or "")


def _earlier(state: str) -> EmailResult:
    if state.startswith("sent "):
        return EmailResult.model_validate_json(state[5:])
    raise AmbiguousSend(f"a send for this lead was started and never confirmed ({state})")


def send_once(
    conn: redis.Redis,
    key: str,
    generation: int,
    lead: LeadInput,
    profile: BrandProfile,
    site_url: str,
    settings: Settings,
    *,
    thumbnail: Thumbnail | None = None,
) -> EmailResult:
    """Send the outreach email unless it was already sent; hold (AmbiguousSend) if it may have been.

    A suppressed address gives a `suppressed` result and sends nothing. The guard is released only
    when nothing can have left (any failure, a job timeout included, before DATA began or before
    the outbox file appeared)."""
    guard = guard_key(key)
    state = _guard_state(conn, guard)
    if state:
        return _earlier(state)
    hit = suppression.reason_for(conn, lead.email)
    if hit is not None:
        return _suppressed(key, generation, settings, hit)
    wait_for_slot(conn, key, generation, lead, settings)
    msg_id = message_id(key, generation, settings)
    unsub = unsubscribe_url(settings, key, lead.email)
    msg = compose(lead, profile, site_url, msg_id, settings, unsubscribe_url=unsub, thumbnail=thumbnail)
    data = dkim.sign(wire_bytes(msg), settings)  # before the guard: a failure here sends nothing
    if not conn.set(guard, f"in-progress {msg_id}", nx=True):
        return _earlier(_guard_state(conn, guard))
    progress = Progress()
    try:
        hit = suppression.reason_for(conn, lead.email)  # an unsubscribe may have landed meanwhile
        if hit is not None:
            conn.delete(guard)
            return _suppressed(key, generation, settings, hit)
        if settings.smtp_host:
            send_smtp(data, lead.email, settings, progress)
            location = f"{settings.smtp_host}:{settings.smtp_port}"
            result = EmailResult(message_id=msg_id, transport="smtp", location=location)
        else:
            path = write_outbox(data, settings.outbox_dir, key, progress)
            result = EmailResult(message_id=msg_id, transport="outbox", location=str(path))
    except BaseException:
        if not progress.committed:
            conn.delete(guard)  # nothing left: safe to try again
        raise  # otherwise the guard stays "in progress": a person decides
    conn.set(guard, "sent " + result.model_dump_json())
    return result


def _suppressed(key: str, generation: int, settings: Settings, hit: suppression.Suppression) -> EmailResult:
    reason = f"suppressed {hit.kind} {hit.entry} ({hit.reason}{': ' + hit.detail if hit.detail else ''})"
    msg_id = message_id(key, generation, settings)
    return EmailResult(message_id=msg_id, transport="none", location="", status="suppressed", reason=reason)


def gates_verdict(ctx: StageContext) -> str | None:
    """None when the lead may be emailed (its gates passed, or a person approved it), else why not.

    The lead's `qa_status` (set by the qa stage and by review) decides when present; a lead without
    one (an older record) needs a passing stored gate report or an `approved_by`."""
    record = ctx.record
    if record.qa_status == QaStatus.REJECTED:
        return "no email: a person rejected this lead at review"
    if record.cleared_for_email or record.approved_by:
        return None
    if record.qa_status == QaStatus.HELD:
        return "no email: the lead is held by its QA gates until a person approves it"
    report = ctx.store.get_output(record.key, Stage.QA, GateReport)
    if report is None:
        return "no email: the lead has no QA report and nobody approved it"
    if not report.passed:
        failed = ", ".join(c.name for c in report.checks if c.status != "pass")
        return f"no email: QA gates did not pass ({failed}) and nobody approved it"
    return None


def _reject(ctx: StageContext, exc: RecipientRefused) -> StageResult:
    """Compensation of a refused recipient: suppress it as bounced, take the site down, end `rejected`."""
    from pipeline.stages.deploy import undeploy_lead

    lead = ctx.record.lead
    suppression.add(ctx.store.conn, lead.email, "bounced", str(exc))
    bundle = ctx.store.get_output(ctx.record.key, Stage.BUILD, SiteBundle)
    if bundle is not None:
        undeploy_lead(ctx.settings, bundle.slug)
        ctx.record.site_url = None
        ctx.record.note("compensated", f"site {bundle.slug} undeployed")
    msg_id = message_id(ctx.record.key, ctx.record.generation, ctx.settings)
    out = EmailResult(message_id=msg_id, transport="none", location="", status="rejected", reason=str(exc))
    reason = f"recipient refused, address suppressed as bounced: {exc}"
    return StageResult(output=out, hold=reason, end=LeadState.REJECTED)


def run(ctx: StageContext) -> StageResult:
    """Job adapter: send the outreach email for the deployed site, if everything allows it."""
    record = ctx.record
    refused = gates_verdict(ctx)
    if refused:
        out = EmailResult(message_id="", transport="none", location="", status="held", reason=refused)
        return StageResult(output=out, hold=refused)
    deployed = ctx.load(Stage.DEPLOY, DeployResult)
    profile = ctx.load(Stage.SCRAPE, BrandProfile)
    report = ctx.store.get_output(record.key, Stage.QA, GateReport)
    thumb = thumbnail.from_report(ctx.store.conn, report, ctx.settings.image_max_pixels)
    try:
        result = send_once(
            ctx.store.conn,
            record.key,
            record.generation,
            record.lead,
            profile,
            deployed.url,
            ctx.settings,
            thumbnail=thumb,
        )
    except RecipientRefused as exc:
        return _reject(ctx, exc)
    if result.status == "suppressed":
        return StageResult(output=result, hold=result.reason, end=LeadState.SUPPRESSED)
    return StageResult(output=result, email_file=result.location if result.transport == "outbox" else None)
