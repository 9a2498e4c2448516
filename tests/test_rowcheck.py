"""Row checking in a forked child gives exactly the rows, order and rejects of checking inline."""

from __future__ import annotations

import csv
import os
import random
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline import csvfile, ingest, rowcheck
from pipeline.errors import InputError
from pipeline.models import LeadInput
from pipeline.settings import Settings
from pipeline.store import Store

CONTEXT = {"allow_loopback": False}


def _messy_csv(path: Path, rows: int, seed: int = 7) -> Path:
    """Valid rows, duplicates, invalid cells, too many cells, a NUL byte, blank lines."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["company", "website", "email", "city"])
        for i in range(rows):
            n = rng.randrange(i + 1) if rng.random() < 0.05 else i
            kind = rng.random()
            if kind < 0.03:
                w.writerow([f"Shop {n}", "http://10.0.0.1/", f"a{n}@shop{n}.example.com", "Leeds"])
            elif kind < 0.06:
                w.writerow([f"Shop {n}", f"shop{n}.example.com", f"not-an-email-{n}", "Leeds"])
            elif kind < 0.07:
                w.writerow([f"Shop {n}", f"shop{n}.example.com", f"a{n}@shop{n}.example.com", "Leeds", "extra"])
            elif kind < 0.08:
                w.writerow([f"Shop\0 {n}", f"shop{n}.example.com", f"a{n}@shop{n}.example.com", ""])
            elif kind < 0.09:
                w.writerow(["", "", "", ""])
            else:
                w.writerow([f"Shop {n}", f"Shop{n}.Example.com/x", f"Owner{n}@shop{n}.example.com", "Leeds"])
    return path


def _prepare(lead: LeadInput) -> tuple[dict[str, Any], str, int]:
    return lead.model_dump(), lead.key, os.getpid()


def _plain(rows: list[rowcheck.Checked[tuple[dict[str, Any], str, int]]]) -> list[tuple[Any, ...]]:
    return [(c.row, c.lead[:2] if c.lead else None, c.field, c.reason, c.cells) for c in rows]


def test_a_forked_child_checks_the_same_rows_in_the_same_order(tmp_path: Path) -> None:
    header = csvfile.inspect(_messy_csv(tmp_path / "m.csv", 3000))
    inline = list(rowcheck.checked_rows(header, CONTEXT, _prepare, parallel=False))
    forked = list(rowcheck.checked_rows(header, CONTEXT, _prepare, parallel=True))
    assert _plain(forked) == _plain(inline)
    assert sum(c.lead is None for c in inline) > 100 and sum(c.lead is not None for c in inline) > 2000
    # `prepare` ran beside the validation: in this process inline, in the child when forked
    assert {c.lead[2] for c in inline if c.lead} == {os.getpid()}
    assert {c.lead[2] for c in forked if c.lead} - {os.getpid()} and all(
        c.lead[2] != os.getpid() for c in forked if c.lead
    )


def test_an_error_in_the_child_is_raised_in_the_parent(tmp_path: Path) -> None:
    path = _messy_csv(tmp_path / "m.csv", 2000)
    header = csvfile.inspect(path)
    # the file changes between the first pass and the second: broken quoting half-way through
    text = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(text[:1000]) + 'Shop,"shop.example.com,a@b.example.com\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a readable CSV"):
        list(rowcheck.checked_rows(header, CONTEXT, _prepare, parallel=True))


def test_ingest_reports_and_writes_the_same_with_and_without_the_child(
    tmp_path: Path, conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _messy_csv(tmp_path / "m.csv", 2500)
    small = settings.model_copy(update={"enqueue_batch_size": 300, "drift_check": False})
    outcomes = []
    for min_bytes in (1 << 40, 0):  # inline, then forked
        monkeypatch.setattr(rowcheck, "PARALLEL_MIN_BYTES", min_bytes)
        conn.flushdb()
        report = ingest.ingest_file(path, conn, small, archive=False)
        store = Store(conn)
        leads = {r.key: r.lead.model_dump() for r in store.iter_leads(sorted(store.run_leads(report.run_id)))}
        assert report.rejects_file
        rejects = Path(report.rejects_file).read_text(encoding="utf-8")
        counts = (report.accepted, report.rejected, report.duplicate, report.enqueued)
        outcomes.append((counts, leads, rejects.splitlines()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][3] == len(outcomes[0][1]) > 1500
