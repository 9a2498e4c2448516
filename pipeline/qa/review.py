"""Review of leads the quality gates held: list them, approve (the lead goes on to email, once) or
reject (the site is taken down, the lead ends `rejected`). Both are recorded with who and when, on
the lead (`review`, `approved_by`) and in its trail. Used by `pipeline review` and the review page.

Only leads held by the gates (`qa_status == held`) are reviewed here: a lead held for another
reason (an ambiguous send, say) needs a different decision and is refused with a clear message.
"""

from __future__ import annotations

import redis

from pipeline import queues
from pipeline.errors import InputError
from pipeline.models import GateReport, LeadRecord, LeadState, QaStatus, ReviewDecision, SiteBundle, Stage
from pipeline.settings import Settings
from pipeline.store import Store, lead_key


def held(store: Store) -> list[LeadRecord]:
    """Leads the gates hold for review, oldest first."""
    leads = [r for r in store.iter_leads(store.keys_in_state(LeadState.HELD)) if r.qa_status == QaStatus.HELD]
    return sorted(leads, key=lambda r: r.updated_at)


def report_of(store: Store, key: str) -> GateReport | None:
    """A lead's gate report, if stored."""
    return store.get_output(key, Stage.QA, GateReport)


def _reviewable(record: LeadRecord | None, key: str) -> LeadRecord:
    if record is None:
        raise InputError(f"no lead {key}")
    if record.state != LeadState.HELD or record.qa_status != QaStatus.HELD:
        why = f"qa {record.qa_status}" if record.qa_status else record.last_error or "no gate report"
        raise InputError(f"lead {key} is not waiting for review (state {record.state}, {why})")
    return record


def approve(store: Store, settings: Settings, key: str, by: str, reason: str = "") -> LeadRecord:
    """Send a held lead on to email. Atomic: a second approval (a double click) finds it no longer
    held and is refused, so the lead gets one email job."""
    conn = store.conn
    with conn.pipeline(transaction=True) as pipe:
        pipe.watch(lead_key(key))  # type: ignore[no-untyped-call]
        record = _reviewable(store.get(key), key)
        record.review = ReviewDecision(decision="approved", by=by, reason=reason)
        record.approved_by, record.qa_status = by, QaStatus.APPROVED
        record.state, record.stage, record.last_error = LeadState.QUEUED, Stage.EMAIL, None
        record.note("approved", f"by {by}" + (f": {reason}" if reason else ""), Stage.QA)
        pipe.multi()
        store.save(record, pipe)
        queues.enqueue(conn, Stage.EMAIL, [(record.key, record.generation)], settings, pipe)
        try:
            pipe.execute()
        except redis.WatchError:
            raise InputError(f"lead {key} changed while it was being approved; look again") from None
    return record


def reject(store: Store, settings: Settings, key: str, by: str, reason: str = "") -> LeadRecord:
    """End a held lead `rejected` and take its site down (idempotent)."""
    from pipeline.stages.deploy import undeploy_lead

    record = _reviewable(store.get(key), key)
    bundle = store.get_output(key, Stage.BUILD, SiteBundle)
    if bundle is not None:
        undeploy_lead(settings, bundle.slug)
        record.site_url = None
    record.review = ReviewDecision(decision="rejected", by=by, reason=reason)
    record.qa_status, record.state = QaStatus.REJECTED, LeadState.REJECTED
    record.note("rejected", f"by {by}" + (f": {reason}" if reason else "") + "; site undeployed", Stage.QA)
    conn = store.conn
    with conn.pipeline(transaction=True) as pipe:
        pipe.watch(lead_key(key))  # type: ignore[no-untyped-call]
        _reviewable(store.get(key), key)
        pipe.multi()
        store.save(record, pipe)
        try:
            pipe.execute()
        except redis.WatchError:
            raise InputError(f"lead {key} changed while it was being rejected; look again") from None
    return record
