"""Schema drift: a CSV that does not look like the earlier ones from the same inbox holds its run.

Before anything is enqueued, ingest profiles a sample of the file (its columns, the share of empty
cells in every optional column, the share of rejected rows) and compares it with the profiles of
earlier runs from the same inbox folder. Columns added or removed, an optional column whose empty
share moved by more than `drift_empty_share_delta`, or a reject share above `drift_max_reject_share`
(judged even for a first file) hold the whole run: its leads are stored `held` and nothing is
enqueued until `pipeline runs approve RUN`. An export whose "phone" column suddenly went blank, or a
file with the wrong columns mapped, never becomes a thousand emails.
"""

from __future__ import annotations

import hashlib
import statistics
from pathlib import Path

import redis
from pydantic import BaseModel

from pipeline.models import CSV_OPTIONAL
from pipeline.settings import Settings
from pipeline.store import PREFIX


class Profile(BaseModel):
    """What a CSV looks like: columns, empty share per optional column, reject share."""

    columns: list[str]
    rows: int
    empty_share: dict[str, float]
    reject_share: float


class Tally:
    """Counts rows while they are read, then gives the profile."""

    def __init__(self, columns: list[str], present: dict[str, int]) -> None:
        self.columns, self.present = columns, {f: i for f, i in present.items() if f in CSV_OPTIONAL}
        self.rows = self.rejected = 0
        self.empty = dict.fromkeys(self.present, 0)

    def add(self, cells: list[str], rejected: bool) -> None:
        """Count one row."""
        self.rows += 1
        self.rejected += rejected
        for name, i in self.present.items():
            if i >= len(cells) or not cells[i].strip():
                self.empty[name] += 1

    def profile(self) -> Profile:
        """The profile of the rows counted so far."""
        n = max(self.rows, 1)
        return Profile(
            columns=self.columns,
            rows=self.rows,
            empty_share={k: round(v / n, 4) for k, v in self.empty.items()},
            reject_share=round(self.rejected / n, 4),
        )


def history_key(source: Path) -> str:
    """Redis list of the profiles of earlier runs from the folder `source` lives in."""
    folder = str(source.resolve().parent)
    return f"{PREFIX}drift:{hashlib.sha256(folder.encode()).hexdigest()[:16]}"


def judge(profile: Profile, history: list[Profile], settings: Settings) -> list[str]:
    """Why this profile drifted from the history (empty when it did not)."""
    reasons = []
    sampled_enough = profile.rows >= settings.drift_min_rows  # shares of a handful of rows are noise
    if sampled_enough and profile.reject_share > settings.drift_max_reject_share:
        limit = settings.drift_max_reject_share
        reasons.append(f"{profile.reject_share:.0%} of the sampled rows were rejected (limit {limit:.0%})")
    if not history:
        return reasons
    before = history[0]
    added = [c for c in profile.columns if c not in before.columns]
    removed = [c for c in before.columns if c not in profile.columns]
    if added or removed:
        change = ", ".join([*(f"+{c}" for c in added), *(f"-{c}" for c in removed)])
        reasons.append(f"columns changed since the last file: {change}")
    for column, share in profile.empty_share.items():
        past = [h.empty_share[column] for h in history if column in h.empty_share]
        if sampled_enough and past and abs(share - statistics.median(past)) > settings.drift_empty_share_delta:
            reasons.append(f"column {column!r} is {share:.0%} empty (usually {statistics.median(past):.0%})")
    return reasons


def load_history(conn: redis.Redis, key: str) -> list[Profile]:
    """Earlier profiles, newest first."""
    return [Profile.model_validate_json(raw) for raw in conn.lrange(key, 0, -1)]


def remember(conn: redis.Redis, key: str, profile: Profile, keep: int) -> None:
    """Add an accepted file's profile to its inbox's history."""
    with conn.pipeline(transaction=True) as pipe:
        pipe.lpush(key, profile.model_dump_json())
        pipe.ltrim(key, 0, keep - 1)
        pipe.execute()
