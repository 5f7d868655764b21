"""Datasets for debates: load a built-in set or a JSONL file as a list of `Item`s.

A reference is ``builtin:<name>`` with optional parameters (``builtin:arithmetic?n=40&steps=3``)
or a path to a JSONL file (see `playground.datasets.jsonl` for the format). Every problem is a
`DatasetError` whose message is one line naming the file, line and field, or the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from ..records import Item
from . import arithmetic
from .consistency import is_consistency_line, parse_consistency
from .errors import DatasetError
from .jsonl import dump_jsonl, parse_jsonl, read_jsonl, write_jsonl
from .params import Params

__all__ = [
    "BUILTINS",
    "Dataset",
    "DatasetError",
    "dump_jsonl",
    "list_builtins",
    "load_dataset",
    "parse_jsonl",
    "read_jsonl",
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


def _load_tdd(params: Params, seed: int) -> list[Item]:
    params.finish()
    from ..approval.envs import get_environment

    return get_environment("tdd").items(seed)


def _load_shortcut(params: Params, seed: int) -> list[Item]:
    n = params.integer("n", default=30, low=1, high=2000)
    params.finish()
    from ..approval.envs.shortcut import ShortcutEnvironment

    return ShortcutEnvironment().items(seed, count=n)


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
    "tdd": (
        "Approval lab: test-driven coding tasks (write tests, then code; hidden tests and "
        "mutants decide the true value). For the approval protocol.",
        _load_tdd,
    ),
    "shortcut": (
        "Approval lab: courier runs with a tempting shortcut step (parameter n, default 30; "
        "uses the seed). For the approval protocol.",
        _load_shortcut,
    ),
}

BUILTINS: dict[str, str] = {name: description for name, (description, _) in _LOADERS.items()}
"""Built-in dataset names → one-line descriptions."""

Kind = Literal["questions", "consistency", "approval"]
KINDS: dict[str, Kind] = {"consistency": "consistency", "tdd": "approval", "shortcut": "approval"}
"""What a built-in set is for, when not questions with a true answer (debate, consultancy,
blind, amplification)."""


def list_builtins(kind: Kind | None = None) -> dict[str, str]:
    """Built-in references (``builtin:<name>``, ready for `load_dataset`) → descriptions; only
    those of one ``kind`` when given (a page offering questions lists only ``questions``)."""
    return {
        PREFIX + name: description
        for name, description in BUILTINS.items()
        if kind is None or KINDS.get(name, "questions") == kind
    }


def load_dataset(ref: str, *, seed: int = 0) -> Dataset:
    """Load ``builtin:<name>[?k=v&...]`` or a JSONL file; `seed` drives generated datasets."""
    if not ref.strip():
        raise DatasetError("dataset reference is empty (use builtin:<name> or a JSONL path)")
    if ref.startswith(PREFIX):
        return _load_builtin(ref, seed)
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
