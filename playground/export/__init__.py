"""Exports of the log for offline analysis: one JSON line per verdict, in the `Record` schema."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from ..store import Store


def write_jsonl(store: Store, out: TextIO, run_id: str | None = None) -> int:
    """Write every verdict (of one run, or all) as a `Record` line; return how many."""
    count = 0
    for record in store.iter_records(run_id):
        out.write(record.model_dump_json())
        out.write("\n")
        count += 1
    return count


def export_jsonl(store: Store, path: str | Path, run_id: str | None = None) -> int:
    with Path(path).open("w", encoding="utf-8") as out:
        return write_jsonl(store, out, run_id)
