"""`pipeline`: the one entry point for people, cron, the Procfile and the Makefile.

User errors are `click.ClickException`s: a clear message and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 error, 2 usage or configuration error, 3 ingest finished but rejected some rows
(`status --check`: 1 when a problem is found).

Options are never read from `PIPELINE_*` variables (that prefix belongs to the settings): the
settings come from the env file and the environment (`pipeline.config`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

import click

from pipeline import config, observability, runtime
from pipeline.cli.canary import canary_group
from pipeline.cli.common import App, ConfigProblem
from pipeline.cli.config import config_group
from pipeline.cli.dlq import dlq_group
from pipeline.cli.embedded import redis_group
from pipeline.cli.ingest import ingest_cmd
from pipeline.cli.leads import lead_cmd, leads_cmd
from pipeline.cli.monitor import COMMANDS as MONITOR_COMMANDS
from pipeline.cli.ops import dashboard_cmd, pause_cmd, resume_cmd, status_cmd
from pipeline.cli.reconcile import reconcile_cmd
from pipeline.cli.report import report_cmd
from pipeline.cli.review import review_group
from pipeline.cli.runctl import COMMANDS as RUNCTL_COMMANDS
from pipeline.cli.site import serve, site
from pipeline.cli.suppress import suppress_group
from pipeline.cli.workers import drain_cmd, worker_cmd
from pipeline.settings import Settings

EPILOG = (
    "Settings are PIPELINE_* variables (and REDIS_URL) in the env file (.env in the checkout, or the file "
    "PIPELINE_ENV_FILE names) or the environment, which wins; every one is listed in .env.example and by "
    "`pipeline config show`. A bad or unknown variable is an error (exit 2)."
)


@click.group(epilog=EPILOG)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (default: PIPELINE_LOG_LEVEL, INFO).")
@click.version_option(package_name="prospect-pipeline")
@click.pass_context
def cli(ctx: click.Context, log_level: str | None) -> None:
    """Website-first outreach: CSV → scrape → build → deploy → qa → email, on Redis/RQ."""
    try:
        settings = config.load()
    except config.ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    if log_level is not None:
        choices = Settings.model_fields["log_level"].annotation.__args__  # type: ignore[union-attr]
        if log_level.upper() not in choices:
            raise ConfigProblem(f"--log-level {log_level!r}: expected one of {', '.join(choices)}")
        settings = settings.model_copy(update={"log_level": log_level.upper()})
    observability.setup(settings, settings.log_level)
    runtime.install(settings)
    ctx.obj = App(settings)


for command in (
    config_group,
    redis_group,
    ingest_cmd,
    worker_cmd,
    drain_cmd,
    reconcile_cmd,
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
    *RUNCTL_COMMANDS,
    suppress_group,
    review_group,
    canary_group,
    report_cmd,
):
    cli.add_command(command)


def _stop_quietly(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (honcho's stop, systemd's, kill): one log line, then a normal exit that runs every
    `finally` (servers close their sockets). Workers replace this with their own warm shutdown."""
    args = sys.argv[1:]
    if args[:1] == ["--log-level"]:
        args = args[2:]
    command = next((a for a in args if not a.startswith("-")), "")
    logging.getLogger("pipeline.cli").info("pipeline %s pid %d: SIGTERM received, stopping", command, os.getpid())
    raise SystemExit(0)


def main() -> None:
    """Console-script entry point. An unexpected error is reported in one line (the traceback goes
    to the log at DEBUG level), never as a raw traceback. SIGTERM is a clean stop with one log line."""
    signal.signal(signal.SIGTERM, _stop_quietly)
    try:
        cli(standalone_mode=True)
    except Exception as exc:
        logging.getLogger("pipeline.cli").debug("unexpected error", exc_info=True)
        click.echo(
            f"Error: unexpected {type(exc).__name__}: {exc} (rerun with --log-level DEBUG for details)", err=True
        )
        sys.exit(1)
