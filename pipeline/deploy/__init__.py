"""Deploy targets. `target_for(settings)` builds the configured one (`Settings.deploy_target`).

Adding a target: subclass `DeployTarget`, give it a `from_settings(settings)` classmethod and
register it in `TARGETS` under the name that `PIPELINE_DEPLOY_TARGET` selects.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.deploy.local import LocalWebRoot
from pipeline.deploy.target import DeployTarget, UnsafeSlug, check_slug
from pipeline.errors import PermanentError
from pipeline.settings import Settings

TARGETS: dict[str, Callable[[Settings], DeployTarget]] = {
    "local": LocalWebRoot.from_settings,
}

__all__ = ["TARGETS", "DeployTarget", "LocalWebRoot", "UnsafeSlug", "check_slug", "target_for"]


def target_for(settings: Settings) -> DeployTarget:
    """The deploy target the settings name."""
    try:
        factory = TARGETS[settings.deploy_target]
    except KeyError:
        raise PermanentError(
            f"unknown deploy target {settings.deploy_target!r}; known: {', '.join(sorted(TARGETS))}"
        ) from None
    return factory(settings)
