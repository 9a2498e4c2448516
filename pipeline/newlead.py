"""A new lead as ingest writes it: its record and its scrape job, built beside its validation.

Ingest validates a big file's rows in a second process (`pipeline.rowcheck`) and hands each valid
lead to `new_lead` there, so what crosses to the parent is a few strings, not the lead; the parent
adds the job (`queued`), so the two processes share the work about evenly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from rq.utils import utcformat

from pipeline import atomic
from pipeline.jobwriter import JobWriter
from pipeline.models import LeadInput, LeadRecord, utcnow
from pipeline.store import lead_key


class NewLead(NamedTuple):
    """A valid lead as ingest writes it if it is new: built beside its validation (`new_lead`)."""

    key: str
    email: str
    record: str  # its `LeadRecord`, queued for scrape, as JSON
    stamp: str  # when it was made (`utcformat`)


class RecordJson:
    """The JSON of a new lead's `LeadRecord` in a run, cut from one prototype record: a new record
    differs from another only in its key, lead and times, and building the model cost three times
    what pasting those three into the prototype's text costs. Loaded back, the text is the record
    `LeadRecord(key=..., lead=..., run_id=...)` would have been (tests check it)."""

    _KEY, _TIME = "0" * 16, datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)

    def __init__(self, run_id: str) -> None:
        sample = LeadInput.model_validate({"company": "x", "website": "https://x.example/", "email": "x@x.example"})
        proto = LeadRecord(key=self._KEY, lead=sample, run_id=run_id, created_at=self._TIME, updated_at=self._TIME)
        text, stamp = proto.model_dump_json(), utcformat(self._TIME)
        key_at, lead_json = f'"key":"{self._KEY}"', sample.model_dump_json()
        head, rest = text.split(key_at + ",", 1)
        between, rest = rest.split(lead_json, 1)
        middle, created, tail = rest.split(stamp)
        self._parts = (head + '"key":"', '",' + between, middle, created, tail)
        if head != "{" or text.count(stamp) != 2:
            raise RuntimeError(f"the record's fields moved: {text[:200]}")

    def __call__(self, key: str, lead: LeadInput, stamp: str) -> str:
        """The record of `lead` (`key`), created at `stamp` (`utcformat`)."""
        p = self._parts
        return "".join((p[0], key, p[1], lead.model_dump_json(), p[2], stamp, p[3], stamp, p[4]))


def new_lead(records: RecordJson, lead: LeadInput) -> NewLead:
    """What a new lead's record will be. Runs in the row-checking process, so only these strings
    cross to the parent, not the lead."""
    stamp = utcformat(utcnow())
    return NewLead(lead.key, lead.email, records(lead.key, lead, stamp), stamp)


def queued(jobs: JobWriter, new: NewLead) -> atomic.Queued:
    """A new lead's record with its scrape job, for `atomic.pack_queued`."""
    job_key, job_id, items = jobs.job_hash(new.key, 1, new.stamp)
    return atomic.Queued(lead_key(new.key), new.record, new.key, job_key, job_id, items)
