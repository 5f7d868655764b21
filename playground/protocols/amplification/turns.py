"""An amplification turn's ``meta`` as a typed model: the node it belongs to and the step, plus
what that step recorded. Amplification turns were always stored without a ``kind`` key (the
record schema is unchanged): they are told apart by their ``node``."""

from __future__ import annotations

from typing import Any, Literal

from ..meta import TurnMeta
from .parsing import DecompositionStatus


class NodeMeta(TurnMeta):
    """One amplification turn: ``node`` (its path id, ``1.2``), ``parent``, ``depth`` and
    ``step`` (decompose, answer, recombine, check, edit); the rest is set by its step."""

    kind: Literal["amplification"] = "amplification"
    """Not stored: amplification metas have no ``kind`` (see `matches`)."""
    node: str
    parent: str | None = None
    depth: int | None = None
    step: str | None = None
    decomposition: DecompositionStatus | None = None
    """A decomposition's reading: ok, leaf, single or unparseable."""
    subquestions: list[str] | None = None
    budget: str | None = None
    """The budget it hit (depth, branching, calls); absent when none was recorded."""
    short: str | None = None
    """An answer's short form, passed up to the parent."""
    check: str | None = None
    """A check's name: justification, resample or direct."""
    status: str | None = None
    flagged: bool | None = None
    credence: float | None = None
    detail: Any = None
    copied: bool | None = None
    """Copied from the transcript this one was forked from."""

    @classmethod
    def matches(cls, data: dict[str, Any]) -> bool:
        return "kind" not in data and "node" in data

    @property
    def has_budget(self) -> bool:
        """Whether the turn recorded a ``budget`` key (null included)."""
        return "budget" in self.model_fields_set


TURN_METAS = (NodeMeta,)
