"""The click CLI, one module per command group (as rq keeps `rq/cli/`): `main` holds the group and
the console-script entry point, `common` the shared plumbing."""

from pipeline.cli.common import App
from pipeline.cli.main import cli, main

__all__ = ["App", "cli", "main"]
