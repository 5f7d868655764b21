"""Any Hugging Face dataset on disk, read with pyarrow (no ``datasets`` import, no network):
``hf:<path>?question=<column>&answers=<column>&correct=<column>``.

``<path>`` is a folder written by ``Dataset.save_to_disk`` (``state.json`` and Arrow stream
files) or ``DatasetDict.save_to_disk`` (``dataset_dict.json`` and a folder per split: pick one
with ``split=``), a Parquet file, or a folder of Parquet files (a downloaded hub snapshot; with
``split=``, only files named ``<split>-…`` or under a ``<split>/`` folder).

Column mapping (defaults in brackets): ``question`` [question]; ``answers`` [answers], a column
holding a list of answers, or several columns with one answer each (``answers=A,B,C,D``);
``correct`` [correct], an integer index (``correct_base=1`` when it counts from 1), a letter (A =
the first answer) or the text of the true answer; optional ``passage`` and ``id`` (else
``<name>-<row>``). Other columns with a plain value (text, number, true/false) go to ``meta``.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

from ..records import Item
from .errors import DatasetError
from .params import Params
from .sources import answers_of, existing, text_of, unique

SCALARS = (str, int, float, bool)


def load_hf(path: str, params: Params) -> list[Item]:
    split = params.text("split")
    columns = {
        "question": params.text("question", default="question"),
        "answers": params.text("answers", default="answers"),
        "correct": params.text("correct", default="correct"),
        "passage": params.text("passage"),
        "id": params.text("id"),
    }
    base = int(params.choice("correct_base", default="0", options=("0", "1")))
    params.finish()
    table = _read(existing(path, "dataset", directory_ok=True), path, split)
    have = list(table.column_names)
    answer_columns = [c.strip() for c in str(columns["answers"]).split(",")]
    for key in ("question", "correct", "passage", "id"):
        _has(path, have, key, columns[key])
    for column in answer_columns:
        _has(path, have, "answers", column)
    mapped = {c for c in (*columns.values(), *answer_columns) if c}
    name = Path(path).name.removesuffix(".parquet") or "hf"
    found = []
    for number, row in enumerate(table.to_pylist(), start=1):
        where = f"{path} row {number}"
        if len(answer_columns) == 1:
            values = row[answer_columns[0]]
            if not isinstance(values, list):
                raise DatasetError(
                    f"{where}: column {answer_columns[0]!r} is not a list of answers (name "
                    "several columns with answers=a,b,…)"
                )
            answers = answers_of(values, where, lambda i: f"{answer_columns[0]}[{i}]")
        else:
            answers = answers_of(
                [row[c] for c in answer_columns], where, answer_columns.__getitem__
            )
        correct = _correct(row[columns["correct"]], answers, base, where, str(columns["correct"]))
        item_id = row[columns["id"]] if columns["id"] else f"{name}-{number}"
        if not isinstance(item_id, str | int) or isinstance(item_id, bool) or item_id == "":
            raise DatasetError(f"{where}: column {columns['id']!r} is not an id: {item_id!r}")
        passage = row[columns["passage"]] if columns["passage"] else None
        meta = {k: v for k, v in row.items() if k not in mapped and isinstance(v, SCALARS)}
        item = Item(
            id=str(item_id),
            question=text_of(row[columns["question"]], where, str(columns["question"])),
            answers=answers,
            correct=correct,
            passage=text_of(passage, where, str(columns["passage"]))
            if passage is not None
            else None,
            meta={"source": "hf", **meta},
        )
        found.append((item, where))
    return unique(found, path)


def _has(path: str, have: list[str], key: str, column: str | None) -> None:
    if column is not None and column not in have:
        raise DatasetError(
            f"{path}: no column {column!r} for {key} (columns: {', '.join(have)}; map one with "
            f"{key}=<column>)"
        )


def _correct(value: Any, answers: list[str], base: int, where: str, column: str) -> int:
    labels = string.ascii_uppercase[: len(answers)]
    if isinstance(value, int) and not isinstance(value, bool):
        index = value - base
        if not 0 <= index < len(answers):
            raise DatasetError(
                f"{where}: column {column!r}: {value} is out of range for {len(answers)} answers "
                f"(counting from {base})"
            )
        return index
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) == 1 and text in labels:
            return labels.index(text)
        if text in answers:
            return answers.index(text)
    raise DatasetError(
        f"{where}: column {column!r}: {value!r} is neither an index, a letter {labels[0]}-"
        f"{labels[-1]} nor one of the answers"
    )


def _read(target: Path, source: str, split: str | None) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if target.is_file():
            if split is not None:
                raise DatasetError(f"{source}: split= is for a folder, not one file")
            return pq.read_table(target) if target.suffix != ".arrow" else _arrow([target])
        if (target / "dataset_dict.json").is_file():
            splits = json.loads((target / "dataset_dict.json").read_text())["splits"]
            if split is None and len(splits) != 1:
                raise DatasetError(
                    f"{source}: pick a split with split= (one of {', '.join(splits)})"
                )
            chosen = split or splits[0]
            if chosen not in splits:
                raise DatasetError(f"{source}: no split {chosen!r} (splits: {', '.join(splits)})")
            return _saved(target / chosen, f"{source}/{chosen}")
        if (target / "state.json").is_file():
            if split is not None:
                raise DatasetError(f"{source}: holds one split already; leave out split=")
            return _saved(target, source)
        files = sorted(target.rglob("*.parquet"))
        if split is not None:
            files = [f for f in files if f.name.startswith(f"{split}-") or split in f.parts[:-1]
                     or f.stem == split]  # fmt: skip
        if not files:
            what = f" for split {split!r}" if split else ""
            raise DatasetError(
                f"{source}: no Parquet files{what} and no save_to_disk files (state.json, "
                "dataset_dict.json)"
            )
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{source}: cannot read the dataset ({exc})") from None


def _saved(folder: Path, source: str) -> Any:
    state = json.loads((folder / "state.json").read_text())
    files = [folder / entry["filename"] for entry in state["_data_files"]]
    return _arrow(files)


def _arrow(files: list[Path]) -> Any:
    """Tables from Arrow files: `save_to_disk` writes the stream format; the file format also
    reads."""
    import pyarrow as pa

    tables = []
    for file in files:
        with pa.memory_map(str(file)) as source:
            try:
                tables.append(pa.ipc.open_stream(source).read_all())
            except pa.ArrowInvalid:
                source.seek(0)
                tables.append(pa.ipc.open_file(source).read_all())
    return pa.concat_tables(tables)
