"""Ingest: validation, rejects, dedupe, unreadable files, batching, archive."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from pipeline import ingest, newlead
from pipeline.cli import cli
from pipeline.errors import InputError
from pipeline.models import LeadState
from pipeline.queues import job_id, stage_queue
from pipeline.settings import Settings
from pipeline.store import Store
from tests.conftest import lead_row, write_csv


def _rejects(report: ingest.IngestReport) -> list[dict[str, str]]:
    assert report.rejects_file
    with open(report.rejects_file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_good_rows_become_leads_with_one_deterministic_scrape_job_each(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        [
            lead_row("Acme Bakery", "acme-bakery.co.uk", "Owner@Acme-Bakery.co.uk"),
            lead_row("Bolt", "https://bolt.de/x", "a@bolt.de"),
        ],
    )
    report = ingest.ingest_file(path, conn, settings)
    assert (report.accepted, report.rejected, report.duplicate, report.enqueued) == (2, 0, 0, 2)
    store = Store(conn)
    queue = stage_queue(conn, "scrape")
    keys = sorted(store.run_leads(report.run_id))
    assert sorted(queue.job_ids) == sorted(job_id(k, "scrape", 1) for k in keys)
    acme = next(r for r in store.iter_leads(keys) if r.lead.company == "Acme Bakery")
    assert acme.lead.website == "https://acme-bakery.co.uk/"
    assert acme.state == LeadState.QUEUED
    run = store.get_run(report.run_id)
    assert run is not None and run.enqueued == 2 and run.deadline is not None


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (lead_row("", "shop.example.com", "a@shop.example.com"), "company", "at least 1 character"),
        (lead_row("Shop", "shop.example.com", "not-an-email"), "email", "invalid email"),
        (lead_row("Shop", "shop.example.com", "bäcker@shop.example.com"), "email", "Internationalized characters"),
        (lead_row("Shop", "ftp://shop.example.com", "a@shop.example.com"), "website", "not http(s)"),
        (lead_row("Shop", "javascript:alert(1)", "a@shop.example.com"), "website", "not http(s)"),
        (lead_row("Shop", "http://10.1.2.3/", "a@shop.example.com"), "website", "private address"),
        (lead_row("Shop", "http://192.168.0.10:8080/", "a@shop.example.com"), "website", "private address"),
        (lead_row("Shop", "http://169.254.169.254/latest", "a@shop.example.com"), "website", "link-local"),
        (lead_row("Shop", "http://[::ffff:10.0.0.1]/", "a@shop.example.com"), "website", "private address"),
        (lead_row("Shop", "http://0x7f000001/", "a@shop.example.com"), "website", "loopback"),
        (lead_row("Shop", "http://printer.local/", "a@shop.example.com"), "website", "private-use domain"),
        (lead_row("Shop", "http://user:pw@shop.example.com/", "a@shop.example.com"), "website", "credentials"),
        (lead_row("Shop", "", "a@shop.example.com"), "website", "empty"),
        (lead_row("Shop\r\nBcc: x@y.z", "shop.example.com", "a@shop.example.com"), "company", "line breaks"),
        (lead_row("Shop", "shop.example.com", "a@shop.example.com", notes="x\ny"), "notes", "line breaks"),
    ],
)
def test_each_kind_of_bad_row_is_rejected_with_its_field_and_reason(
    tmp_path: Path, conn: redis.Redis, redis_url: str, var_dir: Path, row: dict[str, str], field: str, reason: str
) -> None:
    # loopback is refused here: these are production settings
    settings = Settings(REDIS_URL=redis_url, var_dir=var_dir)  # type: ignore[call-arg]
    good = lead_row("Good Co", "good.example.com", "hi@good.example.com")
    report = ingest.ingest_file(write_csv(tmp_path / "in.csv", [good, row]), conn, settings)
    assert (report.accepted, report.rejected, report.enqueued) == (1, 1, 1)
    [rejected] = _rejects(report)
    assert rejected["row"] == "3"
    assert field in rejected["field"].split(";")
    assert reason in rejected["reason"]
    assert rejected["company"].lstrip("'") == row["company"].lstrip("'") or "\n" in row["company"]


def test_a_row_with_more_cells_than_the_header_is_rejected(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("company,website,email\nA,a.example.com,a@a.example.com,extra\nB,b.example.com,b@b.example.com\n")
    report = ingest.ingest_file(path, conn, settings)
    assert (report.accepted, report.rejected) == (1, 1)
    assert _rejects(report)[0]["field"] == "row"


def test_rejects_file_neutralises_spreadsheet_formulas(tmp_path: Path, conn: redis.Redis, settings: Settings) -> None:
    row = lead_row('=HYPERLINK("http://evil")', "shop.example.com", "@bad", notes="+1 call", city="-2")
    report = ingest.ingest_file(write_csv(tmp_path / "in.csv", [row]), conn, settings)
    [rejected] = _rejects(report)
    assert rejected["company"].startswith("'=")
    assert rejected["email"] == "'@bad"
    assert rejected["notes"] == "'+1 call"
    assert rejected["city"] == "'-2"


def test_headers_match_case_insensitively_after_trimming_and_blank_rows_are_skipped(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("\ufeff Company ;WEBSITE; E-mail ;First Name\nShop;shop.example.com;a@shop.example.com;Ann\n;;;\n")
    report = ingest.ingest_file(path, conn, settings)
    assert (report.accepted, report.rejected) == (1, 0)
    [record] = Store(conn).iter_leads(Store(conn).run_leads(report.run_id))
    assert record.lead.first_name == "Ann"


def test_the_same_prospect_twice_in_a_file_and_again_in_a_second_file_is_one_lead(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    rows = [
        lead_row("Shop", "https://shop.example.com/", "a@shop.example.com"),
        lead_row("Shop Ltd", "SHOP.example.com", "A@Shop.Example.com"),
        lead_row("Other", "other.example.com", "b@other.example.com"),
    ]
    first = ingest.ingest_file(write_csv(tmp_path / "one.csv", rows), conn, settings)
    assert (first.accepted, first.duplicate, first.enqueued) == (3, 1, 2)
    second = ingest.ingest_file(
        write_csv(tmp_path / "two.csv", [*rows[:1], lead_row("New", "new.example.com", "c@new.example.com")]),
        conn,
        settings,
    )
    assert (second.accepted, second.duplicate, second.enqueued) == (2, 1, 1)
    assert stage_queue(conn, "scrape").count == 3


def test_batches_smaller_than_the_file_still_enqueue_every_row(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    small = settings.model_copy(update={"enqueue_batch_size": 7})
    rows = [lead_row(f"Shop {i}", f"shop{i}.example.com", f"a@shop{i}.example.com") for i in range(30)]
    report = ingest.ingest_file(write_csv(tmp_path / "in.csv", rows), conn, small)
    assert report.enqueued == 30
    assert stage_queue(conn, "scrape").count == 30


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"company,website,email\nCaf\xe9\x81,cafe.example.com,a@cafe.example.com\n", "not utf-8 text"),
        (b"company,website,email,email\nA,a.example.com,a@a.example.com,b@a.example.com\n", "'email' twice"),
        (b"company,website,email,city,City\nA,a.example.com,a@a.example.com,Ulm,Bonn\n", "differ on row 2"),
        (b"name,link\nShop,shop.example.com\n", "missing required column(s) company, website, email"),
        (b'company,website,email\n"Shop,shop.example.com,a@x.example.com\n', "not a readable CSV"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_error_and_enqueues_nothing(
    tmp_path: Path, conn: redis.Redis, settings: Settings, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest.ingest_file(path, conn, settings)
    assert stage_queue(conn, "scrape").count == 0
    assert Store(conn).counts_by_state()[LeadState.QUEUED] == 0


def test_cli_reports_an_unreadable_file_without_a_traceback(tmp_path: Path, settings: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", str(tmp_path / "missing.csv")], env={"REDIS_URL": settings.redis_url or ""}
    )
    assert result.exit_code == 1
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_cli_exits_3_when_some_rows_were_rejected(tmp_path: Path, settings: Settings) -> None:
    path = write_csv(
        tmp_path / "in.csv", [lead_row("A", "a.example.com", "bad"), lead_row("B", "b.example.com", "b@b.example.com")]
    )
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["ingest", str(path)], env=env)
    assert result.exit_code == 3, result.output
    assert "accepted 1, rejected 1, duplicate 0, enqueued 1" in result.output


def test_inbox_files_are_archived_by_date_and_unreadable_ones_set_aside(tmp_path: Path, settings: Settings) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "good.csv", [lead_row("A", "a.example.com", "a@a.example.com")])
    (inbox / "bad.csv").write_bytes(b"\x00\x01binary")
    (inbox / "upload.csv.part").write_text("still uploading")
    env = {
        "REDIS_URL": settings.redis_url or "",
        "PIPELINE_VAR_DIR": str(settings.var_dir),
        "PIPELINE_INBOX_MIN_AGE_S": "0",
    }
    result = CliRunner().invoke(cli, ["ingest", "--inbox", str(inbox)], env=env)
    assert result.exit_code == 1
    assert "1 file(s) could not be read" in result.output
    archived = list((settings.var_dir / "archive").glob("*/good.csv"))
    assert len(archived) == 1
    assert not (inbox / "good.csv").exists()
    assert (inbox / "failed" / "bad.csv").exists()
    assert "binary" in (inbox / "failed" / "bad.csv.why.txt").read_text()
    assert (inbox / "upload.csv.part").exists()


def test_an_inbox_file_still_being_written_waits_for_the_next_run(tmp_path: Path, settings: Settings) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_csv(inbox / "fresh.csv", [lead_row("A", "a.example.com", "a@a.example.com")])
    env = {
        "REDIS_URL": settings.redis_url or "",
        "PIPELINE_VAR_DIR": str(settings.var_dir),
        "PIPELINE_INBOX_MIN_AGE_S": "60",
    }
    result = CliRunner().invoke(cli, ["ingest", "--inbox", str(inbox)], env=env)
    assert result.exit_code == 0, result.output
    assert "no CSV files waiting" in result.output
    assert (inbox / "fresh.csv").exists()


def test_a_second_unreadable_file_of_the_same_name_does_not_overwrite_the_first(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for content in (b"first", b"second"):
        (inbox / "bad.csv").write_bytes(content)
        ingest.quarantine(inbox / "bad.csv", inbox, "unreadable")
    kept = sorted(p.read_bytes() for p in (inbox / "failed").glob("bad*.csv"))
    assert kept == [b"first", b"second"]


def _ingest_bytes(tmp_path: Path, conn: redis.Redis, settings: Settings, content: bytes) -> ingest.IngestReport:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    return ingest.ingest_file(path, conn, settings)


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
        ("utf-16-le", b"", "utf-16-le"),
        ("cp1252", b"", "cp1252"),
    ],
)
def test_excel_and_windows_encodings_are_decoded_and_recorded_in_the_run(
    tmp_path: Path, conn: redis.Redis, settings: Settings, encoding: str, bom: bytes, expected: str
) -> None:
    text = "company,website,email,city\r\nCafé Müller,cafe.example.com,a@cafe.example.com,Köln\r\n"
    report = _ingest_bytes(tmp_path, conn, settings, bom + text.encode(encoding))
    assert (report.accepted, report.rejected, report.encoding) == (1, 0, expected)
    store = Store(conn)
    [record] = store.iter_leads(store.run_leads(report.run_id))
    assert record.lead.company == "Café Müller" and record.lead.city == "Köln"
    run = store.get_run(report.run_id)
    assert run is not None and run.encoding == expected


def test_the_legacy_encoding_is_a_setting(tmp_path: Path, conn: redis.Redis, settings: Settings) -> None:
    latin2 = settings.model_copy(update={"csv_legacy_encoding": "iso8859-2"})
    content = "company,website,email\nŁódź Café,lodz.example.com,a@lodz.example.com\n".encode("iso8859-2")
    report = _ingest_bytes(tmp_path, conn, latin2, content)
    assert report.encoding == "iso8859-2" and report.accepted == 1


def test_an_oversized_field_and_a_nul_byte_reject_only_their_rows(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    huge = "x" * (csv.field_size_limit() + 10)
    endless = "y" * (2 << 20)
    content = (
        "company,website,email,notes\n"
        f"A,a.example.com,a@a.example.com,{huge}\n"
        "B,b.example.com,b@b.example.com,ok\n"
        "C\0,c.example.com,c@c.example.com,\n"
        f"D,d.example.com,d@d.example.com,{endless}\n"
        "E,e.example.com,e@e.example.com,\n"
    ).encode()
    report = _ingest_bytes(tmp_path, conn, settings, content)
    assert (report.accepted, report.rejected, report.enqueued) == (2, 3, 2)
    reasons = {r["row"]: r["reason"] for r in _rejects(report)}
    assert "field limit" in reasons["2"] and "NUL" in reasons["4"] and "line is longer" in reasons["5"]


def test_identical_duplicate_optional_columns_are_accepted(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    content = b"company,website,email,City,city\nA,a.example.com,a@a.example.com,Ulm,Ulm\n"
    report = _ingest_bytes(tmp_path, conn, settings, content)
    assert (report.accepted, report.rejected) == (1, 0)


def test_cli_prints_a_legacy_encoding(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("company,website,email\nCafé,cafe.example.com,a@cafe.example.com\n".encode("cp1252"))
    env = {"REDIS_URL": settings.redis_url or "", "PIPELINE_VAR_DIR": str(settings.var_dir)}
    result = CliRunner().invoke(cli, ["ingest", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "encoding: cp1252" in result.output


def test_a_repeat_in_a_later_batch_is_still_a_duplicate_and_progress_is_reported(
    tmp_path: Path, conn: redis.Redis, settings: Settings
) -> None:
    small = settings.model_copy(update={"enqueue_batch_size": 10, "drift_check": False})
    rows = [lead_row(f"Shop {i}", f"shop{i}.example.com", f"o@shop{i}.example.com") for i in range(25)]
    rows += rows[:7]  # repeats of the first batch, met two batches later
    seen_rows: list[int] = []
    report = ingest.ingest_file(write_csv(tmp_path / "leads.csv", rows), conn, small, progress=seen_rows.append)
    assert (report.accepted, report.duplicate, report.enqueued) == (32, 7, 25)
    assert seen_rows == sorted(seen_rows) and len(seen_rows) >= 2


@pytest.mark.parametrize(
    "row",
    [
        {"company": "Bloom", "website": "bloom.example.com", "email": "a@bloom.example.com"},
        {
            "company": 'Caf\u00e9 "Zur Post" <b>&</b>',
            "website": "https://zur-post.example.de/x?y=1",
            "email": "Info@Zur-Post.example.de",
            "notes": "back\\slash \u2603",
            "phone": "+49 30 1234567",
            "city": "K\u00f6ln",
        },
    ],
)
def test_a_new_leads_record_json_is_the_record_itself(row: dict[str, str]) -> None:
    from rq.utils import utcformat

    from pipeline.models import LeadInput, LeadRecord, utcnow

    lead = LeadInput.model_validate(row, context={"allow_loopback": False})
    when = utcnow()
    text = newlead.RecordJson("20261207T101010-abcdef")(lead.key, lead, utcformat(when))
    record = LeadRecord(key=lead.key, lead=lead, run_id="20261207T101010-abcdef", created_at=when, updated_at=when)
    assert LeadRecord.model_validate_json(text) == record
    assert text == record.model_dump_json()
