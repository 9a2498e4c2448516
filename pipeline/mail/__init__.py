"""Outreach email parts: composing (`compose`), unsubscribe tokens (`unsubscribe`), SMTP with
failure classes (`smtp`), the shared send throttle (`throttle`), DKIM signing (`dkim`). The email
stage (`pipeline.stages.email`) ties them together."""
