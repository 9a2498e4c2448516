"""Reading a prospects CSV that may be hostile or just odd, streaming and never loading it whole.

`inspect` is the first pass: it decides the encoding (a UTF-8/UTF-16/UTF-32 byte-order mark; else
UTF-8 when the whole file decodes as UTF-8; else the configured legacy encoding, cp1252 by default,
as Excel and Windows tools export), the delimiter and the header, and reads every record once, so a
file that cannot be read at all (binary, undecodable, broken quoting, missing or conflicting
columns) is refused before anything is enqueued. `records` is the second pass.

What spoils only one row is reported on that row (`Record.problem`) and the rows after it go on: a
field over the csv module's field limit, a physical line over `MAX_LINE_CHARS` (skipped without
being held in memory), a NUL byte.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import sniff
from pipeline.errors import InputError
from pipeline.models import CSV_OPTIONAL, CSV_REQUIRED

DELIMITERS = ",;\t|"
MAX_LINE_CHARS = 1 << 20
_SNIFF_BYTES = 64 * 1024
_SNIFF_CHARS = 4096  # of the header line given to csv.Sniffer, whose regexes are slow on long hostile lines
_OVERLONG = "\0overlong-line\0"  # stands in for a skipped line; contains NUL, which no kept row may


@dataclass
class CsvFile:
    """What the first pass learned: encoding, dialect, header and which columns feed which field."""

    path: Path
    encoding: str
    dialect: type[csv.Dialect] | csv.Dialect
    names: list[str]
    columns: dict[str, int]  # our field name → column index
    twins: list[tuple[str, int, int]] = field(default_factory=list)  # (field, first, other) same-named


@dataclass
class Record:
    """One non-blank data record: its number (header = 1), cells, and what spoils it, if anything."""

    row: int
    cells: list[str]
    problem: str | None = None


# Common spellings of our columns in agencies' exports.
HEADER_ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "website_url": "website",
    "url": "website",
    "company_name": "company",
    "business_name": "company",
    "firstname": "first_name",
    "lastname": "last_name",
    "telephone": "phone",
    "phone_number": "phone",
}


def header_name(raw: str) -> str:
    """Normalise a header cell: trimmed, case-insensitive, spaces/hyphens as underscores, aliases."""
    name = "_".join(raw.strip().lower().replace("-", " ").split())
    return HEADER_ALIASES.get(name, name)


def inspect(path: Path, legacy_encoding: str = "cp1252") -> CsvFile:
    """First pass over the whole file; raises InputError (with a one-line reason) when it is unusable."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    encoding = sniff.bom_encoding(head)
    if encoding is None:
        _refuse_binary(path, head)
    candidates = [encoding] if encoding else ["utf-8", legacy_encoding]
    failure = ""
    for candidate in candidates:
        try:
            return _scan(path, candidate)
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start : exc.start + 1]
            failure += f"{', nor ' if failure else 'not '}{candidate} text (byte 0x{bad.hex()})"
        except LookupError:
            raise InputError(f"{path}: unknown legacy encoding {candidate!r} (PIPELINE_CSV_LEGACY_ENCODING)") from None
    raise InputError(f"{path}: {failure}; save it as 'CSV UTF-8'")


def records(csv_file: CsvFile) -> Iterator[Record]:
    """Second pass: every non-blank data record, spoiled ones carrying their problem."""
    with _open(csv_file) as fh:
        yield from _records(fh, csv_file)


def _open(csv_file: CsvFile) -> io.TextIOWrapper:
    return open(csv_file.path, encoding=csv_file.encoding, errors="strict", newline="")


def _refuse_binary(path: Path, head: bytes) -> None:
    """Refuse a file that is plainly not text: a known magic number, or many control bytes.
    A stray NUL or two is not enough: that spoils only its row."""
    kind = sniff.magic_kind(head)
    if kind:
        raise InputError(f"{path}: this is a binary file ({kind}), not a CSV")
    controls = sniff.control_bytes(head)
    if controls > max(2, len(head) // 20):
        raise InputError(f"{path}: this is a binary file ({controls} control bytes near the start), not a CSV")


def _scan(path: Path, encoding: str) -> CsvFile:
    with open(path, encoding=encoding, errors="strict", newline="") as fh:
        first = fh.readline(MAX_LINE_CHARS)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            first.lstrip("\ufeff")[:_SNIFF_CHARS], DELIMITERS
        )
    except csv.Error:
        dialect = csv.excel
    csv_file = CsvFile(path=path, encoding=encoding, dialect=dialect, names=[], columns={})
    with _open(csv_file) as fh:
        for record in _records(fh, csv_file):
            if record.problem is None:
                _check_twins(csv_file, record)
    return csv_file


def _records(fh: io.TextIOWrapper, csv_file: CsvFile) -> Iterator[Record]:
    reader = csv.reader(_bounded_lines(fh), csv_file.dialect, strict=True)
    path = csv_file.path
    try:
        names = next(reader, [])
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV (header: {exc})") from None
    if not csv_file.names:
        _read_header(csv_file, names)
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" not in str(exc):
                raise InputError(f"{path}: not a readable CSV (line {reader.line_num}: {exc})") from None
            yield Record(row, [], f"a field is over the field limit of {csv.field_size_limit()} characters")
            continue
        joined = "".join(cells)  # one scan of the row for the checks below
        if not joined.strip():
            continue
        if "\0" not in joined:
            yield Record(row, cells)
        elif any(_OVERLONG in c for c in cells):
            yield Record(row, [], f"a line is longer than {MAX_LINE_CHARS} characters")
        else:
            yield Record(row, [c.replace("\0", "") for c in cells], "a NUL byte in the row (binary data?)")


def _bounded_lines(fh: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines, a line over MAX_LINE_CHARS replaced by a marker without being held whole."""
    first = True
    while True:
        line = fh.readline(MAX_LINE_CHARS)
        if not line:
            return
        if first:
            line, first = line.lstrip("\ufeff"), False
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            rest = line
            while rest and not rest.endswith(("\n", "\r")):
                rest = fh.readline(MAX_LINE_CHARS)
            yield _OVERLONG + "\n"
            continue
        yield line


def _read_header(csv_file: CsvFile, names: list[str]) -> None:
    path = csv_file.path
    if any("\0" in n or _OVERLONG in n for n in names):
        raise InputError(f"{path}: the header line holds binary data (NUL bytes); this is not a CSV")
    csv_file.names = names
    ours = (*CSV_REQUIRED, *CSV_OPTIONAL)
    for i, raw in enumerate(names):
        name = header_name(raw)
        if name not in ours:
            continue
        if name in csv_file.columns:
            first = csv_file.columns[name]
            if name in CSV_REQUIRED:
                raise InputError(
                    f"{path}: the header names the column {name!r} twice (columns {first + 1} and {i + 1}); keep one"
                )
            csv_file.twins.append((name, first, i))
            continue
        csv_file.columns[name] = i
    missing = [c for c in CSV_REQUIRED if c not in csv_file.columns]
    if missing:
        raise InputError(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"the header must name {', '.join(CSV_REQUIRED)} (optional: {', '.join(CSV_OPTIONAL)})"
        )


def _check_twins(csv_file: CsvFile, record: Record) -> None:
    """Two columns of the same optional name are allowed only while they hold the same values."""

    def cell(i: int) -> str:
        return record.cells[i].strip() if i < len(record.cells) else ""

    for name, first, other in csv_file.twins:
        if cell(first) != cell(other):
            raise InputError(
                f"{csv_file.path}: the header names the column {name!r} twice (columns {first + 1} and "
                f"{other + 1}) and they differ on row {record.row}; keep one"
            )
