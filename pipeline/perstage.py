"""Per-stage settings: a value per stage that merges over its defaults.

A field typed `PerStageInt` (or `PerStageStrategy`) is a dict keyed by stage: the JSON
`{"email": 5}` changes only the email stage, a bare number (or word) applies to every stage, and a
key that is not a stage is an error. `Settings` merges them with `merge_stage_values`; `pipeline config`
finds them by their `PER_STAGE` mark."""

from __future__ import annotations

import difflib
import json
from typing import Annotated, Any, Literal

from pydantic_settings import NoDecode

STAGES: tuple[str, ...] = ("scrape", "build", "deploy", "qa", "email")


class _PerStage:
    """Marks a field as a per-stage map that merges over its default."""


PER_STAGE = _PerStage()
PerStageInt = Annotated[dict[str, int], NoDecode, PER_STAGE]
"""A per-stage integer: JSON object keyed by stage (merged over the defaults) or one number for all."""
RetryStrategy = Literal["fixed", "linear", "exponential"]
PerStageStrategy = Annotated[dict[str, RetryStrategy], NoDecode, PER_STAGE]
"""A per-stage retry strategy: JSON object keyed by stage, or one word for all."""


def suggest(word: str, choices: Any) -> str:
    """` (did you mean 'x'?)` for the closest of `choices`, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def merge_stage_values(value: Any, default: dict[str, Any]) -> dict[str, Any]:
    """A per-stage value merged over `default`: a dict names some stages, a scalar means all."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text else {}
        except json.JSONDecodeError:
            if text.startswith("{"):
                raise ValueError("not valid JSON") from None
            value = text  # a bare word (a retry strategy) for every stage
    if isinstance(value, bool) or not isinstance(value, int | float | str | dict):
        raise ValueError(f"got {type(value).__name__}")
    if not isinstance(value, dict):
        return dict.fromkeys(STAGES, value)
    for key in value:
        if key not in STAGES:
            raise ValueError(f"unknown stage {key!r}{suggest(str(key), STAGES)}")
    return {**default, **value}
