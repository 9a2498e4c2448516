"""`pipeline ingest` fuzzed through the real CLI entry: random bytes and random CSV-shaped text end
in exit 0, 1 or 3 with a message, never an unhandled exception or a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import redis
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import cli

FUZZ = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)
HEADERS = ["company", "website", "email", "E-mail", "city", "City", "notes", "url", "", "x", "company "]
CELL_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    [",", ";", "\t", "|", '"', "\n", "\r", "\0", "=", "@", "\ufeff", "\u202e", "é"]
)
CELLS = st.one_of(
    st.text(CELL_ALPHABET, max_size=12),
    st.sampled_from(["shop.example.com", "http://10.0.0.1/", "http://0x7f.1/", "a@b.example.com", "xn--bcher-kva.ch"]),
)


def _ingest(content: bytes, redis_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        path = Path(tmp) / "in.csv"
        path.write_bytes(content)
        env = {"REDIS_URL": redis_url, "PIPELINE_VAR_DIR": str(Path(tmp) / "var")}
        result = CliRunner().invoke(cli, ["ingest", str(path)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 3), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.output.lower().startswith("error: ") and result.output.count("\n") == 1, result.output


@FUZZ
@given(content=st.binary(max_size=2048))
def test_random_bytes_never_raise(content: bytes, redis_url: str, conn: redis.Redis) -> None:
    _ingest(content, redis_url)


@st.composite
def csv_shaped(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, max_size=8), max_size=6))
    quote = draw(st.booleans())

    def line(cells: list[str]) -> str:
        return sep.join(f'"{c}"' if quote else c for c in cells)

    text = "\n".join([line(header), *(line(r) for r in rows)]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(content=csv_shaped())
def test_random_csv_shaped_text_never_raises(content: bytes, redis_url: str, conn: redis.Redis) -> None:
    _ingest(content, redis_url)
