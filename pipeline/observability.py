"""Process set-up for being seen: structured logs with secrets scrubbed, and Sentry when configured.

sentry-sdk is imported only when a DSN is set, so a process without one pays nothing for it."""

from __future__ import annotations

from pipeline import logs
from pipeline.settings import Settings


def secret_values(settings: Settings) -> list[str]:
    """Values that must never appear in a log line."""
    values = [
        settings.smtp_password,
        settings.alert_slack_webhook_url,
        settings.alert_pagerduty_routing_key,
        settings.sentry_dsn,
        settings.dashboard_password,
    ]
    return [v for v in values if v]


def setup(settings: Settings, level: str) -> None:
    """Configure logging (format, level, redaction) and, with a DSN, Sentry's RQ integration."""
    logs.setup(level, settings.log_format, secret_values(settings))
    if settings.sentry_dsn:
        import sentry_sdk
        from sentry_sdk.integrations.rq import RqIntegration

        sentry_sdk.init(dsn=settings.sentry_dsn, integrations=[RqIntegration()], send_default_pii=False)
