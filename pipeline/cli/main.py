"""`pipeline`: the one entry point for people, cron, the Procfile and the Makefile.

User errors are `click.ClickException`s: a clear message and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 error, 2 usage or configuration error, 3 ingest finished but rejected some rows
(`status --check`: 1 when a problem is found).

Options are never read from `PIPELINE_*` variables (that prefix belongs to the settings): the
settings come from the env file and the environment (`pipeline.config`).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from types import FrameType

import click

from pipeline import config, observability, runtime
from pipeline.cli.common import App, ConfigProblem
from pipeline.settings import Settings

EPILOG = (
    "Settings are PIPELINE_* variables (and REDIS_URL) in the env file (.env in the checkout, or the file "
    "PIPELINE_ENV_FILE names) or the environment, which wins; every one is listed in .env.example and by "
    "`pipeline config show`. A bad or unknown variable is an error (exit 2)."
)


# Each command's module is imported only when that command runs (click's lazy-loading pattern):
# `pipeline ingest` from cron does not pay for Flask, Playwright and the renderer at start-up.
COMMANDS = {
    "config": "config:config_group",
    "redis": "embedded:redis_group",
    "ingest": "ingest:ingest_cmd",
    "worker": "workers:worker_cmd",
    "drain": "workers:drain_cmd",
    "reconcile": "reconcile:reconcile_cmd",
    "pause": "ops:pause_cmd",
    "resume": "ops:resume_cmd",
    "status": "ops:status_cmd",
    "dashboard": "ops:dashboard_cmd",
    "dlq": "dlq:dlq_group",
    "leads": "leads:leads_cmd",
    "lead": "leads:lead_cmd",
    "site": "site:site",
    "serve": "site:serve",
    "runs": "monitor:runs_cmd",
    "wait": "monitor:wait_cmd",
    "summary": "monitor:summary_cmd",
    "alerts": "monitor:alerts_cmd",
    "check-sla": "monitor:check_sla_cmd",
    "check-freshness": "monitor:check_freshness_cmd",
    "check-dlq": "monitor:check_dlq_cmd",
    "metrics": "monitor:metrics_cmd",
    "backfill": "runctl:backfill_cmd",
    "abort": "runctl:abort_cmd",
    "suppress": "suppress:suppress_group",
    "review": "review:review_group",
    "canary": "canary:canary_group",
    "report": "report:report_cmd",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (`COMMANDS`: name → module:attribute
    under `pipeline.cli`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attr = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(f"pipeline.cli.{module}"), attr)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise RuntimeError(f"pipeline.cli.{module}.{attr} is not the {cmd_name!r} command")
        return command


@click.group(cls=LazyGroup, epilog=EPILOG)
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
