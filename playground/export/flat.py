"""Flat exports for spreadsheets and dataframes: one row per verdict, and a turns table alongside
(``out.csv`` + ``out.turns.csv``, ``out.parquet`` + ``out.turns.parquet``).

Nested values (answers, seats, display order, credences, tags, params, meta) are JSON text in
both formats, so the two files have the same columns whatever the format. Turns are those of
the exported verdicts' transcripts (shared debater turns once, every judge call), joined to
verdicts by ``transcript_id`` (and a verdict's own judge call by ``turn_index`` = ``index``).
In CSV (and only there) a text cell that a spreadsheet would run as a formula (it starts with
``= + - @``, a tab or a carriage return) gets a leading apostrophe (`csv_safe`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.filters import Filters, apply
from ..analysis.frame import Frames, load_frames
from ..safetext import csv_cell
from ..store import Store
from ..store.queries import turn_columns, turn_rows
from .people import hide_in_metrics_text, renamer

VERDICT_EXPORT = [
    "verdict_id", "run_id", "run_name", "run_tags", "run_created_at", "transcript_id",
    "parent_id", "subject", "transcript_status", "transcript_error", "item_id", "protocol", "dataset",
    "question", "answers", "correct", "display_order", "shown", "n_shown", "first_shown",
    "swapped", "seats", "correct_seat", "condition", "verdict_role", "status", "choice",
    "is_correct", "credences", "credence_correct", "credence_chosen", "credence_first",
    "chose_first", "raw", "reason", "turn_index", "judge_model", "judge_prompt", "judge",
    "seed", "created_at", "metrics",
]  # fmt: skip
"""Fixed verdict columns, in order; then ``seat.<role>``, ``model.<role>``, ``prompt.<role>``
and ``option.<name>`` for every role and option present."""

JSON_COLUMNS = ("display_order", "seats", "credences", "run_tags")


def selected_frames(
    store: Store, filters: Filters | None = None, run_ids: Sequence[str] | None = None
) -> Frames:
    """Frames with the export's text columns, restricted to ``run_ids`` and ``filters``."""
    frames = load_frames(store, run_ids, text=True, turns=False)
    return apply(frames, filters) if filters else frames


def _json(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return json.dumps(value, ensure_ascii=False)


def verdict_table(frames: Frames) -> pd.DataFrame:
    """The flat verdict rows (`VERDICT_EXPORT` then the per-role/option columns)."""
    v = frames.verdicts.copy()
    tags = dict(zip(frames.runs["run_id"], frames.runs["tags"], strict=True))
    v["run_tags"] = [list(tags.get(r, ())) for r in v["run_id"]]
    for name in JSON_COLUMNS:
        v[name] = pd.Series([_json(x) for x in v[name]], index=v.index, dtype=object)
    extra = [c for c in v.columns if c.split(".", 1)[0] in ("seat", "model", "prompt", "option")]
    return v[[*VERDICT_EXPORT, *extra]]


def turn_table(store: Store, transcript_ids: Sequence[str], runs: pd.DataFrame) -> pd.DataFrame:
    """Every turn of these transcripts, one row each, in transcript and turn order. Columns:
    run_id, transcript_id, index, then the turns table's own columns (role, round, model,
    resolved_model, content, prompt_id, prompt_hash, params, input/output tokens, latency_ms,
    cost_usd, error, retries, meta, created_at and any added by later migrations)."""
    columns = turn_columns(store)
    ids = list(dict.fromkeys(transcript_ids))
    rows = turn_rows(store, ids)
    table = pd.DataFrame(rows, columns=[name for name, _ in columns], dtype=object)
    order = {tid: i for i, tid in enumerate(ids)}
    table["_order"] = table["transcript_id"].map(order)
    table = table.sort_values(["_order", "index"], kind="stable").drop(columns="_order")
    dtypes = {"int": "Int64", "float": "Float64", "bool": "boolean"}
    for name, kind in columns[3:]:
        if kind == "datetime":
            table[name] = pd.to_datetime(table[name], utc=True, format="ISO8601")
        elif kind in dtypes:
            table[name] = pd.array(
                [None if x is None else x for x in table[name]], dtype=dtypes[kind]
            )
    table["index"] = table["index"].astype(int)
    return table.reset_index(drop=True)


def turns_path(path: str | Path) -> Path:
    """``out.csv`` → ``out.turns.csv``: where the turns table goes beside the verdicts."""
    path = Path(path)
    return path.with_name(f"{path.stem}.turns{path.suffix}")


def export_flat(
    store: Store,
    path: str | Path,
    fmt: str,
    filters: Filters | None = None,
    run_ids: Sequence[str] | None = None,
    with_emails: bool = False,
) -> tuple[int, int]:
    """Write verdicts to ``path`` and turns to `turns_path` as ``csv`` or ``parquet``; return
    (verdict rows, turn rows)."""
    frames = selected_frames(store, filters, run_ids)
    verdicts, turns = flat_tables(store, frames, with_emails)
    write_table(verdicts, path, fmt)
    write_table(turns, turns_path(path), fmt)
    return len(verdicts), len(turns)


def flat_tables(
    store: Store, frames: Frames, with_emails: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(verdict rows, turn rows) for frames loaded with ``text=True``; study participants by
    their rater id (`playground.export.people`) unless ``with_emails``."""
    verdicts = verdict_table(frames)
    rename = renamer(store, with_emails)
    verdicts["metrics"] = [hide_in_metrics_text(m, rename) for m in verdicts["metrics"]]
    turns = turn_table(store, verdicts["transcript_id"].tolist(), frames.runs)
    return verdicts, turns


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell a spreadsheet would read as a formula (``= + - @``, tab,
    carriage return first) neutralised by `safetext.csv_cell`: for CSV only, since Parquet and
    JSONL keep their values typed and are not opened by spreadsheets as formulas."""
    return table.map(csv_cell)


def write_table(table: pd.DataFrame, path: str | Path, fmt: str) -> None:
    if fmt == "csv":
        csv_safe(table).to_csv(path, index=False)
    elif fmt == "parquet":
        table.to_parquet(path, index=False)
    else:
        raise ValueError(f"unknown flat format {fmt!r} (csv, parquet)")


def table_bytes(table: pd.DataFrame, fmt: str) -> bytes:
    """A table as file contents, for download buttons."""
    if fmt == "csv":
        return csv_safe(table).to_csv(index=False).encode("utf-8")
    import io

    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()
