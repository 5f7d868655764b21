"""Pick a local dataset file for a page: only files under the data directories the user allowed
in the local settings (``PLAYGROUND_DATA_DIRS`` or ``data_dirs``), listed or typed; a typed path
outside them is refused in one line before anything reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.datasets import FORMATS, DatasetError
from playground.datasets.access import JSONL, check_readable, file_ref, guess_format, local_files
from playground.safetext import md_code, md_prose
from playground.settings import DATA_DIRS_ENV, settings_path

FORMAT_CHOICES = [JSONL, *FORMATS]
PARAMS_HELP = {
    "quality": "difficult=1 keeps the hard subset, difficult=0 the rest",
    "gpqa": "none needed (answers are shuffled from the seed)",
    "mmlu": "none needed",
    "hf": "map columns: question=…&answers=…&correct=… (passage=, id=, split=, correct_base=1)",
}


def pick_local_file(where: Any, prefix: str) -> str | None:
    """A file from the data directories (or a typed path under them), its format and
    parameters, as a dataset reference; None after showing why there is none."""
    try:
        files = local_files()
    except DatasetError as exc:
        where.error(md_prose(str(exc)))
        return None
    typed = where.text_input(
        "Path", key=f"{prefix}local.path", placeholder="or pick a file below",
        help="A file or saved-dataset folder under an allowed data directory.",
    ).strip()  # fmt: skip
    if typed:
        try:
            path = check_readable(Path(typed), typed, page=True)
        except DatasetError as exc:
            where.error(md_prose(str(exc)))
            return None
        if not path.exists():
            where.error(md_prose(f"{typed}: no such file"))
            return None
        guessed = guess_format(path)
    elif files:
        by_label = {f.label: f for f in files}
        label = where.selectbox("File", list(by_label), key=f"{prefix}local.file")
        path, guessed = by_label[label].path, by_label[label].format
    else:
        where.info(
            f"No local dataset files: add a directory of them to {md_code(DATA_DIRS_ENV)} or "
            f"{md_code('data_dirs')} in {md_code(str(settings_path()))} (pages read no other "
            "files)."
        )
        return None
    fmt = where.selectbox(
        "Format", FORMAT_CHOICES, index=FORMAT_CHOICES.index(guessed),
        key=f"{prefix}local.format.{path}",
    )  # fmt: skip
    params = ""
    if fmt != JSONL:
        params = where.text_input(
            "Parameters", key=f"{prefix}local.params.{path}.{fmt}", help=PARAMS_HELP[fmt]
        )
    try:
        return file_ref(fmt, path, params)
    except DatasetError as exc:
        where.error(md_prose(str(exc)))
        return None
