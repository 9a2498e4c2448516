"""CLI commands for published sites: `pipeline site open|rollback|undeploy LEAD` and `pipeline serve`.

Registered on the main group by `pipeline.cli`. The click context object carries `.settings`
(Settings) and `.store()` (the lead store).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pipeline.cli.common import user_errors
from pipeline.deploy import DeployTarget, target_for
from pipeline.models import SiteBundle, Stage
from pipeline.render.site import slug_for


def _slug_of(obj: Any, lead: str) -> str:
    store = obj.store()
    record = store.get(lead)
    if record is None:
        raise click.ClickException(f"unknown lead {lead!r} (use the lead key shown by `pipeline status`)")
    bundle = store.get_output(record.key, Stage.BUILD, SiteBundle)
    return bundle.slug if bundle is not None else slug_for(record.lead.company, record.key)


def _target(obj: Any) -> DeployTarget:
    return target_for(obj.settings)


@click.group("site")
def site() -> None:
    """Published sites: open, roll back, take down."""


@site.command("open")
@click.argument("lead")
@click.pass_obj
@user_errors
def site_open(obj: Any, lead: str) -> None:
    """Print the URL of LEAD's published site."""
    slug = _slug_of(obj, lead)
    target = _target(obj)
    if target.current_version(slug) is None:
        raise click.ClickException(f"lead {lead} has no published site")
    click.echo(target.url_for(slug))


@site.command("rollback")
@click.argument("lead")
@click.pass_obj
@user_errors
def site_rollback(obj: Any, lead: str) -> None:
    """Make the previous version of LEAD's site live again (run twice to undo)."""
    slug = _slug_of(obj, lead)
    result = _target(obj).rollback(slug)
    click.echo(f"{slug}: version {result.version} is live again (was {result.previous}); {result.url}")


@site.command("undeploy")
@click.argument("lead")
@click.pass_obj
@user_errors
def site_undeploy(obj: Any, lead: str) -> None:
    """Take LEAD's site down with all its versions (idempotent)."""
    slug = _slug_of(obj, lead)
    removed = _target(obj).undeploy(slug)
    click.echo(f"{slug}: {'taken down' if removed else 'was not published'}")


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default: PIPELINE_PREVIEW_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PIPELINE_PREVIEW_PORT, 8700).")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Web root to serve (default: the local deploy target's, var/sites).",
)
@click.pass_obj
def serve(obj: Any, host: str | None, port: int | None, root: Path | None) -> None:
    """Serve the published sites on loopback (the Procfile's `preview` process), and the
    unsubscribe endpoints of outreach emails (`/unsubscribe/<token>`)."""
    from pipeline.mail.unsubscribe import Unsubscriber
    from pipeline.preview import make_server, server_url

    settings = obj.settings
    from pipeline import redis_conn

    # connects on the first unsubscribe; the preview server never starts Redis itself
    unsubscriber = Unsubscriber(redis_conn.connect(settings, start=False), settings)
    try:
        server = make_server(
            root or settings.sites_dir, host or settings.preview_host, port or settings.preview_port, unsubscriber
        )
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host or settings.preview_host}:{port}: {exc}") from None
    click.echo(f"serving {Path(root or settings.sites_dir).resolve()} at {server_url(server)} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
