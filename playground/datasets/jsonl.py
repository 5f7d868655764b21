"""Read and write datasets as JSONL, one item per line, refusing bad input with one-line errors.

A line is a JSON object with ``id``, ``question``, ``answers`` (two or more distinct, non-empty
strings), ``correct`` (an index into ``answers``) and optionally ``passage`` and ``meta``. Blank
lines are skipped. Every problem is reported as ``<file> line <n>: <what>``, naming the field.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..records import Item
from .errors import DatasetError

FIELDS = tuple(Item.model_fields)
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "true or false"}


def read_jsonl(path: str | Path) -> list[Item]:
    """Items from the JSONL file at `path`; errors name the file as it was given."""
    source = str(path)
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{source}: is a directory, not a JSONL file") from None
    except OSError as exc:
        raise DatasetError(f"{source}: cannot read the file ({exc.strerror})") from None
    return parse_jsonl(data, source)


def parse_jsonl(data: bytes, source: str) -> list[Item]:
    """Items from JSONL bytes; `source` names the file in error messages."""
    if not data:
        raise DatasetError(f"{source}: the file is empty")
    items: list[Item] = []
    first_line: dict[str, int] = {}
    # bytes.splitlines splits only on \n and \r, never inside a JSON string's U+2028.
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(
                f"{source} line {number}: not valid UTF-8 (byte {exc.start + 1})"
            ) from None
        if not text.strip():
            continue
        item = _parse_line(text, f"{source} line {number}")
        if item.id in first_line:
            raise DatasetError(
                f"{source} line {number}: duplicate id {item.id!r} (first on line "
                f"{first_line[item.id]})"
            )
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError(f"{source}: no items (the file has only blank lines)")
    return items


def dump_jsonl(items: Iterable[Item]) -> str:
    """The JSONL text that `parse_jsonl` reads back into equal items."""
    lines = (
        json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False)
        for item in items
    )
    return "".join(line + "\n" for line in lines)


def write_jsonl(items: Iterable[Item], path: str | Path) -> None:
    """Write `items` to `path` as UTF-8 JSONL, e.g. to freeze a generated dataset."""
    Path(path).expanduser().write_text(dump_jsonl(items), encoding="utf-8")


def _parse_line(text: str, where: str) -> Item:
    try:
        obj = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {_json_type(obj)}")
    try:
        # strict: "1" is not an index and true is not a number, whatever Python would allow.
        item = Item.model_validate(obj, strict=True)
    except ValidationError as exc:
        raise DatasetError(f"{where}: {_describe(exc)}") from None
    problem = _check(item)
    if problem:
        raise DatasetError(f"{where}: {problem}")
    return item


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _check(item: Item) -> str | None:
    """What pydantic's schema cannot say: non-empty texts, distinct answers, index in range."""
    if not item.id.strip():
        return "field 'id': must not be empty"
    if not item.question.strip():
        return "field 'question': must not be empty"
    if item.passage is not None and not item.passage.strip():
        return "field 'passage': must not be empty (leave it out if there is no passage)"
    seen: dict[str, int] = {}
    for index, answer in enumerate(item.answers):
        if not answer.strip():
            return f"field 'answers[{index}]': must not be empty"
        key = answer.strip()
        if key in seen:
            return f"field 'answers': {answer!r} appears twice (at {seen[key]} and {index})"
        seen[key] = index
    if item.correct is None:
        return "field 'correct': must be the index of the true answer, not null"
    if item.correct >= len(item.answers):
        return f"field 'correct': {item.correct} is out of range for {len(item.answers)} answers"
    return None


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    # A misspelt key also makes the real one "missing"; the misspelling is what to fix.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = error["loc"]
    field = str(loc[0]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
    kind = error["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, FIELDS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(FIELDS)}"
        return f"unknown field {field!r} ({hint})"
    if kind == "missing":
        return f"field {field!r} is missing"
    if kind == "too_short":
        ctx = error.get("ctx", {})
        return f"field {field!r}: needs at least {ctx.get('min_length')} entries, got " + str(
            ctx.get("actual_length")
        )
    message = error["msg"][:1].lower() + error["msg"][1:]
    return f"field {field!r}: {message}, got {_short(error['input'])}"


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)
