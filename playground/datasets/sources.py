"""Shared parts of the loaders for the field's released files (QuALITY, GPQA, MMLU, Hugging Face):
opening the file, checking answers and ids, each problem one `DatasetError` line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..records import Item
from .errors import DatasetError


def existing(path: str, what: str, *, directory_ok: bool = False) -> Path:
    """The file (or, with ``directory_ok``, folder) at ``path``, or a one-line error."""
    if not path.strip():
        raise DatasetError(f"no {what} path given")
    file = Path(path).expanduser()
    if not file.exists():
        raise DatasetError(f"{path}: no such file")
    if file.is_dir() and not directory_ok:
        raise DatasetError(f"{path}: is a directory, not a {what}")
    return file


def read_text(file: Path, source: str) -> str:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{source}: cannot read the file ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{source}: not valid UTF-8 (byte {exc.start + 1})") from None


def text_of(value: object, where: str, field: str) -> str:
    """A non-empty string (stripped) or a one-line error naming the field."""
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}, not text"
        raise DatasetError(f"{where}: field {field!r} is {kind}")
    if not value.strip():
        raise DatasetError(f"{where}: field {field!r} is empty")
    return value.strip()


def answers_of(values: Sequence[object], where: str, field: Callable[[int], str]) -> list[str]:
    """At least two non-empty, distinct answers; ``field(i)`` names the i-th in the source."""
    if len(values) < 2:
        raise DatasetError(f"{where}: needs at least two answers, got {len(values)}")
    answers = [text_of(value, where, field(i)) for i, value in enumerate(values)]
    seen: dict[str, int] = {}
    for index, answer in enumerate(answers):
        if answer in seen:
            raise DatasetError(
                f"{where}: field {field(index)!r} repeats {field(seen[answer])!r} ({answer[:40]!r})"
            )
        seen[answer] = index
    return answers


def unique(items: Iterable[tuple[Item, str]], source: str) -> list[Item]:
    """The items, refusing a repeated id (``where`` names each item's row)."""
    first: dict[str, str] = {}
    out: list[Item] = []
    for item, where in items:
        if item.id in first:
            raise DatasetError(f"{where}: duplicate id {item.id!r} (first at {first[item.id]})")
        first[item.id] = where.removeprefix(f"{source} ")
        out.append(item)
    if not out:
        raise DatasetError(f"{source}: no items")
    return out
