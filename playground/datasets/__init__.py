"""Datasets for debates: load a built-in set, a released file or a JSONL file as `Item`s.

A reference is ``builtin:<name>`` with optional parameters (``builtin:arithmetic?n=40&steps=3``),
a file in one of the field's formats, ``<format>:<path>[?k=v&...]`` (``quality:``, ``gpqa:``,
``mmlu:``, ``hf:``; see `FORMATS`), or a path to a JSONL file (see `playground.datasets.jsonl`).
Every problem is a `DatasetError` whose message is one line naming the file, row and field, or
the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from ..records import Item
from . import arithmetic
from .access import check_readable
from .consistency import is_consistency_line, parse_consistency
from .errors import DatasetError
from .jsonl import dump_jsonl, parse_jsonl, read_jsonl, write_jsonl
from .params import Params

__all__ = [
    "BUILTINS",
    "FORMATS",
    "Dataset",
    "DatasetError",
    "dump_jsonl",
    "list_builtins",
    "load_dataset",
    "parse_jsonl",
    "read_jsonl",
    "register_builtin",
    "write_jsonl",
]

PREFIX = "builtin:"


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A loaded dataset: the reference asked for, a display name and description, the items."""

    ref: str
    name: str
    description: str
    items: list[Item] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


def _load_reading(params: Params, seed: int) -> list[Item]:
    params.finish()
    data = resources.files(__package__).joinpath("data", "reading.jsonl").read_bytes()
    return parse_jsonl(data, "reading.jsonl")


def _load_consistency(params: Params, seed: int) -> list[Item]:
    params.finish()
    data = resources.files(__package__).joinpath("data", "consistency.jsonl").read_bytes()
    return parse_consistency(data, "consistency.jsonl")


def _load_arithmetic(params: Params, seed: int) -> list[Item]:
    n = params.integer("n", default=40, low=1, high=5000)
    steps = params.integer("steps", default=3, low=2, high=6)
    kind = params.choice("kind", default="mixed", options=arithmetic.KINDS)
    params.finish()
    return arithmetic.generate(n=n, steps=steps, kind=kind, seed=seed)


_LOADERS: dict[str, tuple[str, Callable[[Params, int], list[Item]]]] = {
    "reading": (
        "Hand-written reading comprehension: a short passage the judge does not see, two answers.",
        _load_reading,
    ),
    "arithmetic": (
        "Generated multi-step arithmetic and logic problems with computed answers "
        "(parameters: n, steps 2-6, kind arithmetic/logic/mixed; uses the seed).",
        _load_arithmetic,
    ),
    "consistency": (
        "Consistency checks for the consistency protocol: negation, paraphrase, conjunction, "
        "conditional, monotonicity and judge (small debates) families.",
        _load_consistency,
    ),
}

BUILTINS: dict[str, str] = {name: description for name, (description, _) in _LOADERS.items()}
"""Built-in dataset names → one-line descriptions."""


def _load_quality(path: str, params: Params, seed: int) -> list[Item]:
    from .quality import load_quality

    return load_quality(path, params)


def _load_gpqa(path: str, params: Params, seed: int) -> list[Item]:
    from .csvsets import load_gpqa

    return load_gpqa(path, params, seed)


def _load_mmlu(path: str, params: Params, seed: int) -> list[Item]:
    from .csvsets import load_mmlu

    return load_mmlu(path, params)


def _load_hf(path: str, params: Params, seed: int) -> list[Item]:
    from .hf import load_hf

    return load_hf(path, params)


_FORMATS: dict[str, tuple[str, Callable[[str, Params, int], list[Item]]]] = {
    "quality": (
        "QuALITY JSONL release (one article per line): passage = article; difficult=1 keeps "
        "the hard subset, difficult=0 the rest.",
        _load_quality,
    ),
    "gpqa": (
        "GPQA CSV (Question, Correct Answer, Incorrect Answer 1-3): the four answers shuffled "
        "per item from the seed, recorded in meta.",
        _load_gpqa,
    ),
    "mmlu": (
        "MMLU-style CSV without header (question, options, answer letter), or a folder of them.",
        _load_mmlu,
    ),
    "hf": (
        "A Hugging Face dataset saved with save_to_disk, or Parquet; map columns with "
        "question=, answers=, correct= (and passage=, id=, split=, correct_base=1).",
        _load_hf,
    ),
}

FORMATS: dict[str, str] = {name: description for name, (description, _) in _FORMATS.items()}
"""File formats (``<format>:<path>``) → one-line descriptions."""

Kind = Literal["questions", "consistency", "approval"]
KINDS: dict[str, Kind] = {"consistency": "consistency"}
"""What a built-in set is for, when not questions with a true answer (debate, consultancy,
blind, amplification)."""


def register_builtin(
    name: str,
    description: str,
    loader: Callable[[Params, int], list[Item]],
    kind: Kind = "questions",
) -> None:
    """Make ``builtin:<name>`` load with ``loader(params, seed)``: how a layer above the
    datasets (an approval environment) offers its tasks without this package importing it."""
    if name in _LOADERS and _LOADERS[name][1] is not loader:
        raise ValueError(f"built-in dataset {name!r} is already registered")
    _LOADERS[name] = (description, loader)
    BUILTINS[name] = description
    if kind != "questions":
        KINDS[name] = kind


def list_builtins(kind: Kind | None = None) -> dict[str, str]:
    """Built-in references (``builtin:<name>``, ready for `load_dataset`) → descriptions; only
    those of one ``kind`` when given (a page offering questions lists only ``questions``)."""
    return {
        PREFIX + name: description
        for name, description in BUILTINS.items()
        if kind is None or KINDS.get(name, "questions") == kind
    }


def load_dataset(ref: str, *, seed: int = 0, page: bool = False) -> Dataset:
    """Load ``builtin:<name>[?k=v&...]``, ``<format>:<path>[?k=v&...]`` or a JSONL file; `seed`
    drives generated datasets. ``page``: the caller is a page, which reads files only under the
    data directories of the local settings (`access.check_readable`); in safe mode every caller
    is held to them."""
    if not ref.strip():
        raise DatasetError("dataset reference is empty (use builtin:<name> or a JSONL path)")
    if ref.startswith(PREFIX):
        return _load_builtin(ref, seed)
    kind, colon, rest = ref.partition(":")
    if colon and kind in _FORMATS:
        path = rest.partition("?")[0]
        if path.strip():
            check_readable(Path(path), ref, page=page)
        return _load_format(kind, rest, ref, seed)
    check_readable(Path(ref), ref, page=page)
    try:
        items = _read_file(ref)
    except DatasetError as exc:
        if ref.strip() in BUILTINS and not Path(ref).expanduser().exists():
            raise DatasetError(f"{exc} (did you mean {PREFIX}{ref.strip()}?)") from None
        raise
    return Dataset(
        ref=ref, name=Path(ref).stem, description=f"{len(items)} items from {ref}", items=items
    )


def _read_file(ref: str) -> list[Item]:
    """A JSONL file: consistency checks when its first line has a ``family`` key, otherwise
    ordinary items."""
    file = Path(ref).expanduser()
    if file.is_file():
        data = file.read_bytes()
        first = next((line for line in data.splitlines() if line.strip()), b"")
        if is_consistency_line(first.decode("utf-8-sig", errors="replace")):
            return parse_consistency(data, ref)
    return read_jsonl(ref)


def _load_builtin(ref: str, seed: int) -> Dataset:
    name, _, query = ref.removeprefix(PREFIX).partition("?")
    if name not in _LOADERS:
        raise DatasetError(
            f"{ref}: unknown built-in dataset {name!r} (known: {', '.join(sorted(BUILTINS))})"
        )
    description, loader = _LOADERS[name]
    params = Params(name, query)
    items = loader(params, seed)
    if params.resolved:
        settings = ", ".join(f"{k}={v}" for k, v in {**params.resolved, "seed": seed}.items())
        description = f"{description} [{settings}]"
    return Dataset(ref=ref, name=name, description=description, items=items)


def _load_format(kind: str, rest: str, ref: str, seed: int) -> Dataset:
    path, _, query = rest.partition("?")
    loader = _FORMATS[kind][1]
    params = Params(kind, query, prefix=f"{kind}:{path}")
    items = loader(path, params, seed)
    settings = {**params.resolved, **({"seed": seed} if kind == "gpqa" else {})}
    detail = f" [{', '.join(f'{k}={v}' for k, v in settings.items())}]" if settings else ""
    return Dataset(
        ref=ref,
        name=Path(path).stem or kind,
        description=f"{len(items)} items from {path} ({kind}){detail}",
        items=items,
    )
