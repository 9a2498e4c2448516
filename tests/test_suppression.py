"""The suppression list: entries, the CLI (add, remove, list, import, export) and the check at ingest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from pipeline import ingest, suppression
from pipeline.cli import cli
from pipeline.errors import InputError
from pipeline.models import LeadState
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, write_csv


def _env(settings: Settings) -> dict[str, str]:
    return {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}


def test_addresses_and_whole_domains_are_normalised_and_cover_subdomains(conn: redis.Redis) -> None:
    assert suppression.normalise(" Bob@Example.COM ") == ("address", "bob@example.com")
    assert suppression.normalise("@bäckerei.de") == ("domain", "xn--bckerei-5wa.de")
    for bad in ("", "bob", "a@b@c.com", "two words.com", "x\n@y.com", "@.com"):
        with pytest.raises(InputError):
            suppression.normalise(bad)
    suppression.add(conn, "example.org", detail="no thanks")
    assert suppression.reason_for(conn, "anyone@example.org") is not None
    assert suppression.reason_for(conn, "anyone@shop.example.org") is not None
    assert suppression.reason_for(conn, "anyone@notexample.org") is None
    suppression.add(conn, "A@b.example.com", "bounced")
    suppression.add(conn, "a@B.example.com", "manual")  # the first reason is kept
    assert suppression.reason_for(conn, "a@b.example.com").reason == "bounced"  # type: ignore[union-attr]


def test_the_cli_adds_lists_exports_imports_and_removes(conn: redis.Redis, settings: Settings, tmp_path: Path) -> None:
    runner, env = CliRunner(), _env(settings)
    result = runner.invoke(cli, ["suppress", "add", "bob@example.com", "spam.example.net", "--note", "asked"], env=env)
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["suppress", "list"], env=env).output
    assert "bob@example.com\taddress\tmanual" in listed and "spam.example.net\tdomain" in listed
    exported = runner.invoke(cli, ["suppress", "export"], env=env).output
    assert exported.splitlines()[0] == "entry,kind,reason,at,detail" and len(exported.splitlines()) == 3
    bad = runner.invoke(cli, ["suppress", "add", "not an address"], env=env)
    assert bad.exit_code == 1 and bad.output.startswith("Error: not an address or domain")
    assert "Traceback" not in bad.output
    assert runner.invoke(cli, ["suppress", "remove", "bob@example.com"], env=env).output.endswith("removed\n")
    conn.flushdb()
    (tmp_path / "list.csv").write_text(exported + "# a comment\nnobody\n", encoding="utf-8")
    imported = runner.invoke(cli, ["suppress", "import", str(tmp_path / "list.csv")], env=env)
    assert imported.exit_code == 3 and "2 suppressed, 1 refused" in imported.output
    assert suppression.reason_for(conn, "bob@example.com") is not None
    missing = runner.invoke(cli, ["suppress", "import", str(tmp_path / "nope.csv")], env=env)
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_ingest_ends_suppressed_leads_at_once_and_counts_them(
    conn: redis.Redis, settings: Settings, tmp_path: Path
) -> None:
    suppression.add(conn, "owner@gone.example.com", "unsubscribed")
    suppression.add(conn, "blocked.example.com")
    rows = [
        lead_row("Gone", "gone.example.com", "owner@gone.example.com"),
        lead_row("Blocked", "blocked.example.com", "info@blocked.example.com"),
        lead_row("Fine", "fine.example.com", "hi@fine.example.com"),
    ]
    report = ingest.ingest_file(write_csv(tmp_path / "in.csv", rows), conn, settings)
    assert (report.accepted, report.suppressed, report.enqueued) == (3, 2, 1)
    store = Store(conn)
    states = {r.lead.company: r.state for r in store.iter_leads(store.run_leads(report.run_id))}
    assert states == {"Gone": LeadState.SUPPRESSED, "Blocked": LeadState.SUPPRESSED, "Fine": LeadState.QUEUED}
    assert store.get_run(report.run_id).suppressed == 2  # type: ignore[union-attr]
    from pipeline.queues import stage_queue

    assert stage_queue(conn, "scrape").count == 1


_ENTRY_CHARS = "abcXYZ019.-_+@ \t\x00é.."


@given(st.text(alphabet=_ENTRY_CHARS, max_size=30) | st.from_regex(r"[a-z.+-]{1,8}@[a-z0-9.-]{1,70}", fullmatch=True))
@settings_(max_examples=400, deadline=None, derandomize=True)
@example("Owner@Shop.Example.com")
@example("a@shop.example.com.")
@example("a@" + "b" * 64 + ".com")
@example("a@" + "b" * 63 + ".com")
@example("a@b..cd")
@example("a@-b.cd")
@example(" a@b.cd ")
@example("a b@c.de")
@example("a@@b.cd")
@example("a@bäcker.de")
@example("@shop.example.com")
@example("a@b.c")
@example("a@b.cd-")
def test_the_fast_path_for_plain_addresses_gives_what_the_full_check_gives(entry: str) -> None:
    def full(value: str) -> object:
        saved = suppression._PLAIN_ADDRESS
        suppression._PLAIN_ADDRESS = re.compile(r"(?!)")  # matches nothing: always the full check
        try:
            return suppression.normalise(value)
        except InputError as exc:
            return str(exc)
        finally:
            suppression._PLAIN_ADDRESS = saved

    try:
        fast: object = suppression.normalise(entry)
    except InputError as exc:
        fast = str(exc)
    assert fast == full(entry)
