"""Exports of the log for offline analysis: one JSON line per verdict in the `Record` schema
(lossless: `playground.store.importer` reads it back), flat CSV/Parquet tables
(`playground.export.flat`) and Markdown transcripts (`playground.export.markdown`)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from ..records import Record
from ..store import Store
from ..store.importer import record_problem
from .people import hide_person, renamer


def write_jsonl(
    store: Store,
    out: TextIO,
    run_id: str | None = None,
    verdict_ids: Collection[str] | None = None,
    with_emails: bool = False,
) -> int:
    """Write every verdict (of one run, or all; only ``verdict_ids`` if given) as a `Record`
    line, oldest run first; return how many. Study participants appear by their rater id
    (`playground.export.people`) unless ``with_emails``."""
    count = 0
    wanted = set(verdict_ids) if verdict_ids is not None else None
    rename = renamer(store, with_emails)
    for record in store.iter_records(run_id):
        if wanted is not None and record.verdict_id not in wanted:
            continue
        out.write(hide_person(record, rename).model_dump_json())
        out.write("\n")
        count += 1
    return count


def export_jsonl(
    store: Store,
    path: str | Path,
    run_id: str | None = None,
    verdict_ids: Collection[str] | None = None,
    with_emails: bool = False,
) -> int:
    with Path(path).open("w", encoding="utf-8") as out:
        return write_jsonl(store, out, run_id, verdict_ids, with_emails)


class ImportFileError(ValueError):
    """A line of an import file is not a `Record`; the message names the file and line."""


def read_jsonl(path: str | Path) -> Iterator[Record]:
    """Records from a JSONL export, refusing a bad line with one message naming the file, the
    line and the field: not UTF-8, not JSON, a missing or mistyped field, or an index
    (``correct``, ``verdict.choice``, the display order) outside the line's answers."""
    path = Path(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            where = f"{path.name} line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{where}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                ) from None
            if number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                record = Record.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first.get("loc", ())) or "line"
                raise ImportFileError(f"{where}: {field}: {first.get('msg', exc)}") from None
            problem = record_problem(record)
            if problem:
                raise ImportFileError(f"{where}: {problem}")
            yield record
