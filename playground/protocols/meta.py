"""The base models of what protocols store as JSON: a verdict's ``metrics`` (a `Measurement`)
and a turn's ``meta`` (a `TurnMeta`). Each protocol subclasses them for its own kinds;
`playground.protocols.reading` reads stored JSON as the union of the registered ones. The JSON
on disk is unchanged."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict


class MetricColumns(NamedTuple):
    """The verdict frame's measurement columns (``check_family``, ``violation``,
    ``credence_shift``, ``n_unparseable``) a measurement fills; None where it has none."""

    family: str | None = None
    violation: float | None = None
    credence_shift: float | None = None
    n_unparseable: int | None = None


class Measurement(BaseModel):
    """A verdict's ``metrics``: what a protocol measures beyond a choice. Subclasses name their
    ``kind`` (the value of the JSON's ``kind`` key) and say how they read in one line."""

    model_config = ConfigDict(extra="allow", frozen=True)

    tag: ClassVar[str]
    """Names the model in the union: the JSON's ``kind`` unless `matches` says otherwise."""
    with_reason: ClassVar[bool] = True
    """Whether a terminal line shows the verdict's reason after `text` (else `text` alone)."""

    @classmethod
    def matches(cls, data: dict[str, Any]) -> bool:
        """Whether stored metrics are of this model: by default, their ``kind`` is our tag."""
        return data.get("kind") == cls.tag

    def markdown(self) -> str:
        """One line for a page, every value escaped (`playground.safetext`)."""
        return ""

    def text(self) -> str:
        """One plain line for a terminal."""
        return ""

    def columns(self) -> MetricColumns:
        return MetricColumns()


class TurnMeta(BaseModel):
    """A turn's ``meta`` of one ``kind`` (a step, a rating, a judge's question…). Keys every
    protocol's turns may carry (``copied``, ``parent_index``, ``quotes``…) are kept as extras."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str

    @classmethod
    def matches(cls, data: dict[str, Any]) -> bool:
        """Whether a stored meta is of this model: by default, its ``kind`` is ours (a family
        whose turns were always stored without a ``kind`` says how to tell them apart)."""
        return data.get("kind") == cls.model_fields["kind"].default
