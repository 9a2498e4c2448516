"""Loading the one `Settings`: the env file, unknown variables, one-line errors.

Every process (the CLI, cron's `scripts/cron.sh`, each Procfile process) reads the same env file:
`.env` in the checkout, or the file `PIPELINE_ENV_FILE` names (relative to the current directory).
The real environment wins over the file. A `PIPELINE_*` variable that is not a setting is refused
with a did-you-mean, and a bad value is reported in one line naming the variable, the value and what
is expected (`ConfigError`; the CLI exits 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values
from pydantic import ValidationError
from pydantic_settings import SettingsError

from pipeline.errors import InputError
from pipeline.settings import PER_STAGE, PROJECT_ROOT, STAGES, Settings, suggest

PREFIX = "PIPELINE_"
ENV_FILE_VAR = "PIPELINE_ENV_FILE"
DEFAULT_ENV_FILE = PROJECT_ROOT / ".env"
_PER_STAGE_EXPECTED = f"a JSON object keyed by stage ({', '.join(STAGES)}) or one number for every stage"
_EXPECTED = {
    "redis_url": "a URL such as redis://localhost:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock",
}


class ConfigError(InputError):
    """The configuration cannot be used: one line naming the variable, its value, what is expected."""


def variable_names() -> dict[str, str]:
    """Every environment variable a setting reads, mapped to its field name."""
    names: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        names[PREFIX + name.upper()] = name
        alias = field.validation_alias
        for choice in getattr(alias, "choices", []) or ([alias] if isinstance(alias, str) else []):
            if isinstance(choice, str):
                names[choice] = name
    return names


def env_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The env file in force: `PIPELINE_ENV_FILE` (must exist) or `.env` in the checkout."""
    environ = os.environ if environ is None else environ
    given = environ.get(ENV_FILE_VAR)
    if not given:
        return DEFAULT_ENV_FILE
    path = Path(given).expanduser().resolve()
    if not path.exists():
        raise ConfigError(f"{ENV_FILE_VAR}={given!r}: no such file; expected the path of an env file")
    return path


def check_unknown(sources: Mapping[str, Mapping[str, str | None]]) -> None:
    """Refuse `PIPELINE_*` variables that no setting reads (a typo would otherwise be ignored)."""
    known = variable_names()
    for origin, values in sources.items():
        for name in sorted(values):
            if name.startswith(PREFIX) and name not in known:
                hint = suggest(name, known) or f" (see {_example_hint()})"
                raise ConfigError(f"{name}={values[name]!r}{origin}: unknown setting{hint}")


def _example_hint() -> str:
    return ".env.example or `pipeline config show` for every variable"


def describe(exc: ValidationError, sources: Mapping[str, Mapping[str, str | None]]) -> str:
    """One line per error: `VARIABLE='value' (in FILE): problem; expected ...`."""
    by_var = variable_names()
    lines = []
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else ""
        field = by_var.get(loc, loc)  # pydantic names a field by the alias it was given under
        var = variable_for(field)
        var, value, origin = _raw_value(var, field, sources)
        shown = f"{var}={value!r}{origin}" if value is not None else f"{var}{origin}"
        problem = str(err["msg"]).removeprefix("Value error, ")
        expected = _expected(field)
        lines.append(f"{shown}: {problem}" + (f"; expected {expected}" if expected else ""))
    return "\n".join(lines)


def variable_for(field: str) -> str:
    """The environment variable of a field (its first alias when it has one, e.g. REDIS_URL)."""
    alias = Settings.model_fields[field].validation_alias if field in Settings.model_fields else None
    choices = getattr(alias, "choices", None) or ([alias] if isinstance(alias, str) else [])
    return str(choices[0]) if choices else PREFIX + field.upper()


def _raw_value(var: str, field: str, sources: Mapping[str, Mapping[str, str | None]]) -> tuple[str, str | None, str]:
    """(variable, value, ` (in FILE)`) where the bad value came from."""
    for origin, values in sources.items():
        for name in (var, PREFIX + field.upper()):
            if name in values:
                return name, values[name], origin
    return var, None, ""


def _expected(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and PER_STAGE in info.metadata:
        return _PER_STAGE_EXPECTED
    return _EXPECTED.get(field, "")


def load(**overrides: object) -> Settings:
    """The settings of this process: the env file, then the real environment (it wins), then
    `overrides` (field names; the CLI's options)."""
    path = env_file_path()
    from_file = dotenv_values(path) if path.exists() else {}
    sources: dict[str, Mapping[str, str | None]] = {"": os.environ, f" (in {path})": from_file}
    check_unknown(sources)
    try:
        return Settings(_env_file=path if from_file else None, **{"env_file": path if from_file else None, **overrides})  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe(exc, sources)) from None
    except SettingsError as exc:  # a complex value that is not JSON
        raise ConfigError(_settings_error(str(exc), sources)) from None


def _settings_error(message: str, sources: Mapping[str, Mapping[str, str | None]]) -> str:
    match = re.search(r'field "(\w+)"', message)
    field = match[1] if match else ""
    var, value, origin = _raw_value(variable_for(field) if field else PREFIX, field, sources)
    return f"{var}={value!r}{origin}: not valid JSON; expected a JSON value for this setting"
