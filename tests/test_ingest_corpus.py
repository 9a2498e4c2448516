"""Every file of the hostile CSV corpus (tests/data/csv, see tests/data/csv_corpus.py) through the
real `pipeline ingest` CLI: the expected exit code, counts and reasons, a clear one-line message,
never a traceback, and the good rows of a partly bad file still enqueued."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner

from pipeline.cli import cli

DATA = Path(__file__).parent / "data" / "csv"
CASES: list[dict[str, Any]] = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
_COUNTS = re.compile(r"accepted (\d+), rejected (\d+), duplicate (\d+), enqueued (\d+)")


def test_the_corpus_is_large_and_every_file_has_an_expected_outcome() -> None:
    files = {p.name for p in DATA.iterdir()} - {"manifest.json"}
    assert len(CASES) >= 40
    assert files == {c["file"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_hostile_csv_ends_as_expected(
    case: dict[str, Any], tmp_path: Path, redis_url: str, conn: redis.Redis
) -> None:
    # production policy: loopback websites are refused
    env = {"REDIS_URL": redis_url, "PIPELINE_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(cli, ["ingest", str(DATA / case["file"])], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == case["exit"], result.output
    if case["message"] is not None:
        [line] = [ln for ln in result.output.splitlines() if ln.strip()]
        assert line.lower().startswith("error: ") and case["message"] in line, line
        return
    counts = _COUNTS.search(result.output)
    assert counts, result.output
    accepted, rejected, _duplicate, enqueued = map(int, counts.groups())
    assert (accepted, rejected, enqueued) == (case["accepted"], case["rejected"], case["enqueued"]), result.output
    if case["encoding"]:
        assert f"encoding: {case['encoding']}" in result.output
    if rejected:
        [path] = re.findall(r"rejects: (\S+)", result.output)
        with open(path, newline="", encoding="utf-8") as fh:
            reject_rows = list(csv.DictReader(fh))
        assert len(reject_rows) == rejected
        reasons = " | ".join(r["reason"] for r in reject_rows)
        for expected in case["reasons"]:
            assert expected in reasons, reasons
        for row in reject_rows:  # nothing a spreadsheet would run
            assert not any(str(v).startswith(("=", "+", "-", "@")) for v in row.values() if v), row
