"""Multiple-choice CSV releases: GPQA (``gpqa:<file>``) and MMLU-style files (``mmlu:<file or
folder>``).

GPQA (Rein et al. 2023; ``gpqa_main.csv``, ``gpqa_diamond.csv``, ...) has a header row and one
question per row in the columns ``Question``, ``Correct Answer``, ``Incorrect Answer 1`` to ``3``
(and ``Record ID``, ``High-level domain``, ``Subdomain``, which are kept). The correct answer
always comes first in the file, so each item's four answers are shuffled by a generator seeded
from the experiment's seed and the record id: the same seed gives the same order on any machine;
``meta`` records ``shuffle_seed`` and ``answer_order`` (file positions: 0 = the correct answer).

MMLU (Hendrycks et al. 2021; ``data/test/<subject>_test.csv``) has no header: the question, the
options (four in MMLU; two or more are read) and the answer letter last. A folder reads every
``*.csv`` in it (sorted); ``meta.subject`` is the file name without ``_test``/``_dev``/``_val``.

Rows are counted from 1 after any header; a problem names the file, the row, its first line and
the column.
"""

from __future__ import annotations

import csv
import io
import random
import string
from collections.abc import Iterator
from pathlib import Path

from ..records import Item
from .errors import DatasetError
from .params import Params
from .sources import answers_of, existing, read_text, text_of, unique

GPQA_ANSWERS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
GPQA_META = {"High-level domain": "domain", "Subdomain": "subdomain"}
SPLITS = ("_test", "_dev", "_val", "_train")


def _rows(text: str, source: str, *, header: bool) -> Iterator[tuple[str, int, list[str]]]:
    """(where, row number, cells) per non-blank CSV record, ``where`` being "<file> row <n> (line
    <l>)"; rows count from 1 after the header (which is row 0)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start, number = 1, -1 if header else 0
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            number += 1
            yield f"{source} row {number} (line {line})", number, cells
    except csv.Error as exc:
        raise DatasetError(f"{source} line {reader.line_num}: not valid CSV ({exc})") from None


def load_gpqa(path: str, params: Params, seed: int) -> list[Item]:
    params.finish()
    source = path
    rows = _rows(read_text(existing(path, "GPQA CSV file"), source), source, header=True)
    header = next(rows, None)
    if header is None:
        raise DatasetError(f"{source}: the file is empty")
    columns = [c.strip() for c in header[2]]
    missing = [c for c in ("Question", *GPQA_ANSWERS) if c not in columns]
    if missing:
        raise DatasetError(
            f"{source}: no column {missing[0]!r} in the header (a GPQA CSV has Question, "
            f"{', '.join(GPQA_ANSWERS)})"
        )
    at = {name: columns.index(name) for name in columns}
    found = []
    for where, number, cells in rows:
        if len(cells) != len(columns):
            raise DatasetError(f"{where}: {len(cells)} cells, the header has {len(columns)}")
        record = {name: cells[i] for name, i in at.items()}
        question = text_of(record["Question"], where, "Question")
        original = answers_of([record[c] for c in GPQA_ANSWERS], where, GPQA_ANSWERS.__getitem__)
        record_id = record.get("Record ID", "").strip() or f"row{number}"
        order = list(range(len(original)))
        random.Random(f"gpqa|{seed}|{record_id}").shuffle(order)
        meta: dict[str, object] = {"source": "gpqa", "record_id": record_id}
        meta |= {key: record[col].strip() for col, key in GPQA_META.items() if record.get(col)}
        meta |= {"shuffle_seed": seed, "answer_order": order}
        item = Item(
            id=record_id,
            question=question,
            answers=[original[i] for i in order],
            correct=order.index(0),
            meta=meta,
        )
        found.append((item, where))
    return unique(found, source)


def load_mmlu(path: str, params: Params) -> list[Item]:
    params.finish()
    target = existing(path, "MMLU CSV file", directory_ok=True)
    files = sorted(target.glob("*.csv")) if target.is_dir() else [target]
    if not files:
        raise DatasetError(f"{path}: no .csv files in this folder")
    found = []
    for file in files:
        source = str(file) if target.is_dir() else path
        found += _mmlu_file(file, source)
    return unique(found, path)


def _mmlu_file(file: Path, source: str) -> list[tuple[Item, str]]:
    stem = file.stem
    subject = next((stem.removesuffix(s) for s in SPLITS if stem.endswith(s)), stem)
    out = []
    for where, number, cells in _rows(read_text(file, source), source, header=False):
        if len(cells) < 4:
            raise DatasetError(
                f"{where}: {len(cells)} columns; an MMLU row is question, options, answer letter"
            )
        question = text_of(cells[0], where, "column 1 (question)")
        answers = answers_of(cells[1:-1], where, lambda i: f"column {i + 2} (option {_label(i)})")
        letter = cells[-1].strip()
        labels = [_label(i) for i in range(len(answers))]
        if letter not in labels:
            hint = " (an MMLU CSV has no header row)" if len(letter) > 1 else ""
            raise DatasetError(
                f"{where}: column {len(cells)} (answer): {letter!r} is not one of "
                f"{', '.join(labels)}{hint}"
            )
        item = Item(
            id=f"{stem}-{number}",
            question=question,
            answers=answers,
            correct=labels.index(letter),
            meta={"source": "mmlu", "subject": subject},
        )
        out.append((item, where))
    return out


def _label(index: int) -> str:
    return string.ascii_uppercase[index] if index < 26 else str(index + 1)
