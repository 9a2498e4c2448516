"""Validating a CSV's rows into leads, in a second process when the file is big.

`check` turns one record of `csvfile.records` into a `LeadInput`, or the field and reason that
reject the row. `checked_rows` does it for a whole file, in order. Validation is about half of
ingest's CPU time, and ingest's other half (building records and jobs, talking to Redis) does not
need it to be on the same core: for a big file a forked child reads and validates the rows and hands
them over in batches through a pipe, while the parent builds and writes the batch before. The rows
and their order are the same either way; the pipe's buffer bounds what is in flight, so memory stays
flat. An error in the child (the file changed under us, a bug) is raised in the parent.

`checked_rows` passes each valid lead through the caller's `prepare` (ingest builds the lead's
record there): it runs beside the validation, in the child when there is one, and only its result
crosses the pipe, so the parent neither rebuilds nor unpickles the lead.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import ValidationError

from pipeline import csvfile
from pipeline.errors import InputError
from pipeline.models import LeadInput

# Below this size the fork and the pipe cost more than the second core gives back.
PARALLEL_MIN_BYTES = 2 << 20
ROWS_PER_MESSAGE = 500

_FIELDS = frozenset(LeadInput.model_fields)

T = TypeVar("T")


class Checked(NamedTuple, Generic[T]):
    """One data row: its lead (or what `prepare` made of it), or (`lead` None) the field and reason
    that reject it, with its cells."""

    row: int
    lead: T | None
    field: str = ""
    reason: str = ""
    cells: tuple[str, ...] = ()


def check(record: csvfile.Record, header: csvfile.CsvFile, context: dict[str, Any]) -> Checked[LeadInput]:
    """Validate one record (`context`: the `LeadInput` validation context)."""
    if record.problem:
        return Checked(record.row, None, "row", record.problem, tuple(record.cells))
    cells = record.cells
    if len(cells) > len(header.names):
        reason = f"{len(cells)} cells but the header has {len(header.names)}"
        return Checked(record.row, None, "row", reason, tuple(cells))
    data = {f: cells[i] for f, i in header.columns.items() if f in _FIELDS and i < len(cells)}
    try:
        return Checked(record.row, LeadInput.model_validate(data, context=context))
    except ValidationError as exc:
        field, reason = reasons(exc)
        return Checked(record.row, None, field, reason, tuple(cells))


def reasons(exc: ValidationError) -> tuple[str, str]:
    """The fields (`;`-joined) and the readable reasons of a validation error."""
    fields, texts = [], []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "row"
        msg = err["msg"].removeprefix("Value error, ")
        if field == "row" and ": " in msg:
            field, msg = msg.split(": ", 1)
        if field not in fields:
            fields.append(field)
        texts.append(f"{field}: {msg}")
    return ";".join(fields), "; ".join(texts)


def checked_rows(
    header: csvfile.CsvFile,
    context: dict[str, Any],
    prepare: Callable[[LeadInput], T],
    *,
    parallel: bool | None = None,
) -> Iterator[Checked[T]]:
    """Every data row of the file, checked, in order, each valid lead passed through `prepare`.
    `parallel`: validate in a forked child (None: when the file is big and this machine has a
    second core)."""
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1 and header.path.stat().st_size >= PARALLEL_MIN_BYTES
    if not parallel:
        for record in csvfile.records(header):
            yield _prepared(check(record, header, context), prepare)
        return
    yield from _from_child(header, context, prepare)


def _prepared(checked: Checked[LeadInput], prepare: Callable[[LeadInput], T]) -> Checked[T]:
    lead = checked.lead
    return Checked(checked.row, None if lead is None else prepare(lead), checked.field, checked.reason, checked.cells)


def _from_child(
    header: csvfile.CsvFile, context: dict[str, Any], prepare: Callable[[LeadInput], T]
) -> Iterator[Checked[T]]:
    # fork: the child inherits the imported modules and the header instead of importing them again;
    # it touches nothing of the parent's but the file it reads and its end of the pipe.
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(header, context, prepare, sender), name="ingest-rowcheck", daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise InputError(f"{header.path}: the row checker stopped (exit code {child.exitcode})") from None
            if message is None:
                return
            if isinstance(message, BaseException):
                raise message
            yield from message
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _child(
    header: csvfile.CsvFile, context: dict[str, Any], prepare: Callable[[LeadInput], Any], sender: Connection
) -> None:
    try:
        batch: list[Checked[Any]] = []
        for record in csvfile.records(header):
            batch.append(_prepared(check(record, header, context), prepare))
            if len(batch) >= ROWS_PER_MESSAGE:
                sender.send(batch)
                batch = []
        if batch:
            sender.send(batch)
        sender.send(None)
    except InputError as exc:
        sender.send(exc)
    except Exception as exc:  # a bug: the parent says so with the child's words
        sender.send(RuntimeError(f"row checker failed: {type(exc).__name__}: {exc}"))
    finally:
        sender.close()
