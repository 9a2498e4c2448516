"""The settings of this process. Entry points (CLI, worker) install theirs with `install`; a job
run by a worker we did not start (plain `rq worker`) builds them from the environment once."""

from __future__ import annotations

from pipeline.settings import Settings

_settings: Settings | None = None


def install(settings: Settings) -> None:
    """Make `settings` the ones jobs in this process use."""
    global _settings
    _settings = settings


def settings() -> Settings:
    """The installed settings, built from the environment on first use if none were installed."""
    global _settings
    if _settings is None:
        from pipeline import config  # the same env file and checks as the CLI

        _settings = config.load()
    return _settings
