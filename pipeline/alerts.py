"""Alerts for the people who run the line: Slack, PagerDuty and email, de-duplicated in Redis.

Every alert has a de-duplication key (`dlq-growth`, `sla:RUN`, `paused`, ...). The first event of a
key sends a message; later events within the cooldown only count; the first event after the
cooldown sends one reminder with the count; `resolve` sends one "resolved" message and forgets the
key. So a storm of 500 failures is one message with a count, and a resolve when it clears, on every
channel and across every worker host (the state lives in Redis, decided by one Lua script).

A channel that cannot be reached is logged (without its URL: webhook URLs are secrets) and never
fails the caller: an alert must not turn a problem into a second one.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import time
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Literal, Protocol

import redis
import requests
from pydantic import BaseModel, Field

from pipeline.models import utcnow
from pipeline.settings import Settings

log = logging.getLogger("pipeline.alerts")

ALERT_PREFIX = "pl:alert:"
OPEN_ALERTS = "pl:alerts"
Severity = Literal["info", "warning", "error", "critical"]

# KEYS[1] alert hash, KEYS[2] open-alerts set; ARGV now, cooldown_s, dedup key.
# Returns {decision, count}: decision 1 = send (first or reminder), 0 = counted only.
_FIRE = """
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'count', 1, 'first', now, 'last_sent', now)
  redis.call('SADD', KEYS[2], ARGV[3])
  return {1, 1}
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local last = tonumber(redis.call('HGET', KEYS[1], 'last_sent') or '0')
if now - last >= cooldown then
  redis.call('HSET', KEYS[1], 'last_sent', now)
  return {1, count}
end
return {0, count}
"""

# KEYS[1] alert hash, KEYS[2] open-alerts set; ARGV dedup key. Returns the count, 0 if not open.
_RESOLVE = """
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return count
"""


class Alert(BaseModel):
    """One message to the operators."""

    key: str = Field(description="De-duplication key: one open alert per key.")
    summary: str
    severity: Severity = "error"
    action: Literal["trigger", "resolve", "info"] = "trigger"
    count: int = 1
    details: dict[str, str] = Field(default_factory=dict)

    def text(self) -> str:
        """One human line for chat and email subjects."""
        if self.action == "info":
            return f"[pipeline] {self.summary}"
        if self.action == "resolve":
            return f"[pipeline] RESOLVED {self.key}: {self.summary} ({self.count} event(s) in all)"
        times = f" ({self.count} events so far)" if self.count > 1 else ""
        return f"[pipeline] {self.severity.upper()} {self.key}: {self.summary}{times}"


class Channel(Protocol):
    """Somewhere an alert can go."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise on failure (the caller logs it)."""


class SlackChannel:
    """A Slack incoming webhook."""

    name = "slack"

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s

    def send(self, alert: Alert) -> None:
        """POST the text as Slack's `{"text": ...}`."""
        lines = [alert.text(), *(f"• {k}: {v}" for k, v in alert.details.items())]
        r = requests.post(self.url, json={"text": "\n".join(lines)}, timeout=self.timeout_s)
        r.raise_for_status()


class PagerDutyChannel:
    """PagerDuty Events API v2: trigger and resolve with the alert's key as `dedup_key`."""

    name = "pagerduty"

    def __init__(self, url: str, routing_key: str, timeout_s: float) -> None:
        self.url, self.routing_key, self.timeout_s = url, routing_key, timeout_s

    def send(self, alert: Alert) -> None:
        """POST one event; `info` alerts (summaries) are not paged."""
        if alert.action == "info":
            return
        body: dict[str, object] = {
            "routing_key": self.routing_key,
            "event_action": alert.action,
            "dedup_key": f"pipeline:{alert.key}",
        }
        if alert.action == "trigger":
            body["payload"] = {
                "summary": alert.text()[:1000],
                "source": socket.gethostname(),
                "severity": "warning" if alert.severity == "info" else alert.severity,
                "custom_details": {"count": alert.count, **alert.details},
            }
        r = requests.post(self.url, json=body, timeout=self.timeout_s)
        r.raise_for_status()


class EmailChannel:
    """Email to the operator through the pipeline's SMTP settings."""

    name = "email"

    def __init__(self, settings: Settings, to: str) -> None:
        self.settings, self.to = settings, to

    def send(self, alert: Alert) -> None:
        """Send a short plain-text message (needs PIPELINE_SMTP_HOST)."""
        s = self.settings
        if not s.smtp_host:
            raise RuntimeError("alert email needs PIPELINE_SMTP_HOST")
        msg = EmailMessage()
        msg["From"] = formataddr((f"{s.sender_name} pipeline", s.sender_email))
        msg["To"] = self.to
        msg["Subject"] = alert.text()[:200]
        msg["Date"] = format_datetime(utcnow(), usegmt=True)
        msg["Message-ID"] = make_msgid("alert", s.sender_email.rsplit("@", 1)[-1])
        msg.set_content(alert.text() + "\n\n" + "\n".join(f"{k}: {v}" for k, v in alert.details.items()) + "\n")
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user and s.smtp_password:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(msg, from_addr=s.sender_email, to_addrs=[self.to])


def channels(settings: Settings) -> list[Channel]:
    """The channels that settings enable (none by default: alerts then only reach the log)."""
    out: list[Channel] = []
    if settings.alert_slack_webhook_url:
        out.append(SlackChannel(settings.alert_slack_webhook_url, settings.alert_timeout_s))
    if settings.alert_pagerduty_routing_key:
        out.append(
            PagerDutyChannel(
                settings.alert_pagerduty_url, settings.alert_pagerduty_routing_key, settings.alert_timeout_s
            )
        )
    if settings.alert_email_to:
        out.append(EmailChannel(settings, settings.alert_email_to))
    return out


class Alerter:
    """Fires and resolves de-duplicated alerts on every enabled channel."""

    def __init__(self, conn: redis.Redis, settings: Settings, chans: list[Channel] | None = None) -> None:
        self.conn, self.settings = conn, settings
        self.channels = channels(settings) if chans is None else chans

    def fire(self, key: str, summary: str, severity: Severity = "error", details: dict[str, str] | None = None) -> bool:
        """Count one event of `key`; send when it is new or its cooldown has passed. True if sent."""
        sent, count = self.conn.eval(
            _FIRE, 2, ALERT_PREFIX + key, OPEN_ALERTS, time.time(), self.settings.alert_cooldown_s, key
        )
        log.warning("alert %s: %s (%s event(s))", key, summary, count)
        if not int(sent):
            return False
        self._deliver(Alert(key=key, summary=summary, severity=severity, count=int(count), details=details or {}))
        return True

    def resolve(self, key: str, summary: str = "cleared") -> bool:
        """Close an open alert with one "resolved" message. False (and silent) when none was open."""
        count = int(self.conn.eval(_RESOLVE, 2, ALERT_PREFIX + key, OPEN_ALERTS, key))
        if not count:
            return False
        log.info("alert %s resolved after %s event(s)", key, count)
        self._deliver(Alert(key=key, summary=summary, action="resolve", count=count))
        return True

    def post(self, key: str, text: str) -> None:
        """An informational message (the daily summary): no de-duplication, never paged."""
        self._deliver(Alert(key=key, summary=text, severity="info", action="info"))

    def open_alerts(self) -> dict[str, int]:
        """Open alert keys with their event counts."""
        keys = sorted(k.decode() for k in self.conn.smembers(OPEN_ALERTS))  # type: ignore[union-attr]
        p = self.conn.pipeline(transaction=False)
        for k in keys:
            p.hget(ALERT_PREFIX + k, "count")
        return {k: int(c or 0) for k, c in zip(keys, p.execute(), strict=True)}

    def _deliver(self, alert: Alert) -> None:
        for channel in self.channels:
            try:
                channel.send(alert)
            except Exception as exc:  # a broken channel must not break the caller
                log.error("alert channel %s failed: %s", channel.name, _describe(exc))


def _describe(exc: Exception) -> str:
    """What went wrong, without the text of the error: it may quote a webhook URL (a credential)."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {exc.smtp_code}"
    return type(exc).__name__
