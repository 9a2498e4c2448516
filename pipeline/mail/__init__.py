"""Outreach email parts: composing (`compose`), unsubscribe tokens and pages (`unsubscribe`), SMTP
with failure classes (`smtp`), the shared send throttle (`throttle`), sending hours (`hours`), the
site thumbnail (`thumbnail`), DKIM signing (`dkim`). The email stage (`pipeline.stages.email`) ties
them together."""
