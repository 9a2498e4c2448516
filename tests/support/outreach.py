"""Leads standing at the email stage (outputs of the earlier stages stored, site deployed), and an
aiosmtpd server that records what it accepts: the email tests start from here."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from aiosmtpd.controller import Controller

from pipeline import queues
from pipeline.models import BrandProfile, GateCheck, GateReport, LeadInput, LeadRecord, LeadState, Stage
from pipeline.settings import Settings
from pipeline.stages.deploy import publish_bundle
from pipeline.store import Store
from tests.deploy.bundles import bundle


class Inbox:
    """An aiosmtpd handler keeping every accepted message; RCPT answers can be scripted per call."""

    def __init__(self, rcpt_codes: list[str] | None = None) -> None:
        self.messages: list[tuple[float, list[str], bytes]] = []
        self.rcpt_codes = list(rcpt_codes or [])
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_codes:
            code = self.rcpt_codes.pop(0)
            if not code.startswith("250"):
                return code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((time.time(), list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(inbox: Inbox) -> Iterator[int]:
    """aiosmtpd on 127.0.0.1 with `inbox` as handler; yields its port."""
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def lead_at_email(
    conn: redis.Redis,
    settings: Settings,
    n: int,
    *,
    email: str | None = None,
    gates_pass: bool = True,
    degraded: bool = False,
    country: str = "UK",
    enqueue: bool = True,
    screenshot: bytes | None = None,
) -> LeadRecord:
    """Lead number `n`: profile, bundle (deployed), QA report stored; state queued at email."""
    address = email or f"owner{n}@shop{n}.example.com"
    lead = LeadInput.model_validate(
        {"company": f"Shop {n}", "website": f"shop{n}.example.com", "email": address, "country": country}, context={}
    )
    store = Store(conn, settings.output_ttl_s)
    profile = BrandProfile(
        name=f"Shop {n}", website=lead.website, email=address, degraded=["logo: monogram"] if degraded else []
    )
    site = bundle(f"shop {n}", slug=f"shop-{n}-{lead.key[:8]}")
    deployed = publish_bundle(settings, site)
    status = "pass" if gates_pass else "fail"
    report = GateReport(url=deployed.url, checks=[GateCheck(name="status", status=status, detail="200")])
    if screenshot:  # stored like the qa stage stores them: the report names the image's Redis key
        report.screenshots["desktop"] = f"pl:qa:shot:{lead.key}:desktop"
        conn.set(report.screenshots["desktop"], screenshot)
    record = LeadRecord(key=lead.key, lead=lead, run_id="test-run", stage=Stage.EMAIL, site_url=deployed.url)
    record.state = LeadState.QUEUED
    store.put_output(lead.key, Stage.SCRAPE, profile)
    store.put_output(lead.key, Stage.BUILD, site)
    store.put_output(lead.key, Stage.DEPLOY, deployed)
    store.put_output(lead.key, Stage.QA, report)
    store.save(record)
    store.add_run_leads("test-run", [lead.key], conn)
    if enqueue:
        queues.enqueue(conn, Stage.EMAIL, [(lead.key, 1)], settings)
    return record
