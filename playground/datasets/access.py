"""Which local dataset files may be read: the pages read only files under the data directories
of the user's local settings (``PLAYGROUND_DATA_DIRS`` or ``data_dirs`` in the settings file,
`playground.settings`), and in safe mode nothing else reads any other file either. The
allowlist is never taken from an experiment file or an import, so data cannot widen it.

Also what the pages offer: the dataset files found under those directories (`local_files`),
each with the format it looks like (`guess_format`), and the reference to load it by
(`file_ref`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..settings import (
    DATA_DIRS_ENV,
    SAFE_ENV,
    LocalSettings,
    SettingsError,
    load_settings,
    settings_path,
)
from .errors import DatasetError

JSONL = "jsonl"
"""A plain JSONL file of items (or consistency checks), named by its path alone."""

SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".dev", ".train")
"""File endings listed as dataset files (QuALITY's release files end in ``.dev``/``.train``)."""

HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")
"""Files `datasets.save_to_disk` writes into the folder it saves."""

MAX_LISTED = 500
"""At most this many files are listed (the first in sorted order)."""


def settings_for(ref: str) -> LocalSettings:
    try:
        return load_settings()
    except SettingsError as error:
        raise DatasetError(f"{ref}: {error}") from None


def check_readable(path: Path, ref: str, *, page: bool) -> Path:
    """The resolved ``path`` (symlinks followed, so a link cannot lead out), if it may be read:
    always outside safe mode unless ``page``; else only under a data directory. A one-line
    `DatasetError` naming the path, the directories allowed and where to add one otherwise."""
    settings = settings_for(ref)
    resolved = path.expanduser().resolve()
    if not (page or settings.safe):
        return resolved
    if any(resolved.is_relative_to(d) for d in settings.data_dirs):
        return resolved
    allowed = ", ".join(str(d) for d in settings.data_dirs) or "none yet"
    who = "pages read" if page else f"safe mode is on ({SAFE_ENV}=1): the playground reads"
    raise DatasetError(
        f"{ref}: {resolved} is not under an allowed data directory ({allowed}): {who} dataset "
        f"files only from {DATA_DIRS_ENV} or data_dirs in {settings_path()}"
    )


def guess_format(path: Path) -> str:
    """The format a file or folder looks like: ``hf`` for a saved dataset folder or Parquet,
    ``mmlu`` for a folder of CSVs or a header-less CSV, ``gpqa`` for a CSV whose header names
    ``Correct Answer``, ``quality`` for JSON lines holding an article and its questions,
    else ``jsonl``. Reads at most the first 256 kB."""
    if path.is_dir():
        if any((path / marker).exists() for marker in HF_MARKERS):
            return "hf"
        return "mmlu" if any(path.glob("*.csv")) else "hf"
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "hf"
    try:
        with path.open("rb") as file:
            head = file.read(256 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return JSONL
    if suffix == ".csv":
        header = head.splitlines()[0] if head else ""
        return "gpqa" if "Correct Answer" in header else "mmlu"
    first = head.lstrip().split("\n", 1)[0]
    return "quality" if '"article_id"' in first and '"questions"' in first else JSONL


def file_ref(fmt: str, path: Path | str, params: str = "") -> str:
    """The dataset reference loading ``path`` as ``fmt`` with ``params`` (``k=v&...``; a
    JSONL file takes none)."""
    params = params.strip().lstrip("?")
    if fmt == JSONL and params:
        raise DatasetError(f"{path}: a JSONL file takes no parameters (got {params!r})")
    base = str(path) if fmt == JSONL else f"{fmt}:{path}"
    return f"{base}?{params}" if params else base


@dataclass(frozen=True)
class LocalFile:
    """A dataset file or saved-dataset folder under a data directory."""

    path: Path
    format: str
    """What it looks like (`guess_format`); the page lets the user change it."""
    label: str
    """Its path below the data directory it was found in, prefixed with that directory."""


def local_files(limit: int = MAX_LISTED) -> list[LocalFile]:
    """Dataset files and saved-dataset folders under the data directories, sorted, hidden
    entries skipped, symlinks not followed out of a directory; at most ``limit``."""
    found: list[LocalFile] = []
    for root in settings_for("data directories").data_dirs:
        if not root.is_dir():
            continue
        for here, dirs, files in os.walk(root):
            folder = Path(here)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            if any(m in files for m in HF_MARKERS):
                found.append(_entry(root, folder))
                dirs[:] = []
                continue
            for name in sorted(files):
                file = folder / name
                if name.startswith(".") or (file.is_symlink() and not _inside(file, root)):
                    continue
                if file.suffix.lower() in SUFFIXES:
                    found.append(_entry(root, file))
            if len(found) >= limit:
                return found[:limit]
    return found


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _entry(root: Path, path: Path) -> LocalFile:
    below = path.relative_to(root)
    label = f"{root.name}/{below}" if below.parts else f"{root.name}/"
    return LocalFile(path, guess_format(path), label)
