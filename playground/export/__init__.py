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


def write_jsonl(
    store: Store,
    out: TextIO,
    run_id: str | None = None,
    verdict_ids: Collection[str] | None = None,
) -> int:
    """Write every verdict (of one run, or all; only ``verdict_ids`` if given) as a `Record`
    line, oldest run first; return how many."""
    count = 0
    wanted = set(verdict_ids) if verdict_ids is not None else None
    for record in store.iter_records(run_id):
        if wanted is not None and record.verdict_id not in wanted:
            continue
        out.write(record.model_dump_json())
        out.write("\n")
        count += 1
    return count


def export_jsonl(
    store: Store,
    path: str | Path,
    run_id: str | None = None,
    verdict_ids: Collection[str] | None = None,
) -> int:
    with Path(path).open("w", encoding="utf-8") as out:
        return write_jsonl(store, out, run_id, verdict_ids)


class ImportFileError(ValueError):
    """A line of an import file is not a `Record`; the message names the file and line."""


def read_jsonl(path: str | Path) -> Iterator[Record]:
    """Records from a JSONL export, refusing a bad line with one message naming it."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield Record.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ())) or "line"
                raise ImportFileError(
                    f"{path.name} line {number}: {where}: {first.get('msg', exc)}"
                ) from None
