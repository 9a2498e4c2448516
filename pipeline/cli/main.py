"""`pipeline`: the one entry point for people, cron, the Procfile and the Makefile.

User errors are `click.ClickException`s: a clear message and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 error, 2 usage, 3 ingest finished but rejected some rows.
"""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from pipeline import observability, runtime
from pipeline.cli.common import App
from pipeline.cli.dlq import dlq_group
from pipeline.cli.embedded import redis_group
from pipeline.cli.ingest import ingest_cmd
from pipeline.cli.leads import lead_cmd, leads_cmd
from pipeline.cli.monitor import COMMANDS as MONITOR_COMMANDS
from pipeline.cli.ops import dashboard_cmd, pause_cmd, resume_cmd, status_cmd
from pipeline.cli.site import serve, site
from pipeline.cli.workers import drain_cmd, worker_cmd
from pipeline.settings import Settings


@click.group()
@click.option("--log-level", default="INFO", envvar="PIPELINE_LOG_LEVEL", show_default=True)
@click.version_option(package_name="prospect-pipeline")
@click.pass_context
def cli(ctx: click.Context, log_level: str) -> None:
    """Website-first outreach: CSV → scrape → build → deploy → qa → email, on Redis/RQ."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings in the environment:\n{exc}") from None
    observability.setup(settings, log_level.upper())
    runtime.install(settings)
    ctx.obj = App(settings)


for command in (
    redis_group,
    ingest_cmd,
    worker_cmd,
    drain_cmd,
    pause_cmd,
    resume_cmd,
    status_cmd,
    dashboard_cmd,
    dlq_group,
    leads_cmd,
    lead_cmd,
    site,
    serve,
    *MONITOR_COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point. An unexpected error is reported in one line (the traceback goes
    to the log at DEBUG level), never as a raw traceback."""
    import logging

    try:
        cli(auto_envvar_prefix="PIPELINE", standalone_mode=True)
    except Exception as exc:
        logging.getLogger("pipeline.cli").debug("unexpected error", exc_info=True)
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (rerun with --log-level DEBUG for details)", err=True
        )
        sys.exit(1)
