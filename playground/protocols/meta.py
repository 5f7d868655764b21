"""Typed views of what protocols store as JSON: a verdict's ``metrics`` (a `Measurement`) and a
turn's ``meta`` (a `TurnMeta`), each a union over the registered protocols' models told apart by
``kind``. The JSON on disk is unchanged: readers (pages, analysis) validate it into these models
instead of reading keys out of dicts."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, ClassVar, NamedTuple, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, TypeAdapter, ValidationError

from .registry import protocols


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


def _models(attribute: str) -> tuple[type[BaseModel], ...]:
    found: dict[type[BaseModel], None] = {}
    for cls in protocols().values():
        found.update(dict.fromkeys(getattr(cls, attribute)))
    return tuple(found)


@lru_cache(maxsize=16)
def _metrics_adapter(models: tuple[type[Measurement], ...]) -> TypeAdapter[Any]:
    def tag(data: Any) -> str | None:
        if isinstance(data, Measurement):
            return data.tag
        return next((m.tag for m in models if isinstance(data, dict) and m.matches(data)), None)

    union = Union[tuple(Annotated[m, Tag(m.tag)] for m in models)]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(Annotated[union, Discriminator(tag)])  # type: ignore[arg-type]


@lru_cache(maxsize=16)
def _meta_adapter(models: tuple[type[TurnMeta], ...]) -> TypeAdapter[Any]:
    kinds = {m.model_fields["kind"].default: m for m in models}
    union = Union[tuple(Annotated[m, Tag(k)] for k, m in kinds.items())]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(Annotated[union, Discriminator(lambda d: _kind(d, kinds))])  # type: ignore[arg-type]


def _kind(data: Any, kinds: dict[str, type[TurnMeta]]) -> str | None:
    kind = data.get("kind") if isinstance(data, dict) else getattr(data, "kind", None)
    return kind if kind in kinds else None


def measurement(metrics: dict[str, Any] | None) -> Measurement | None:
    """A verdict's metrics as the registered model they are; None for none, or for metrics no
    registered protocol describes (or that do not validate)."""
    models: tuple[type[Measurement], ...] = _models("measurements")  # type: ignore[assignment]
    if not metrics or not models:
        return None
    try:
        found: Measurement = _metrics_adapter(models).validate_python(metrics)
    except ValidationError:
        return None
    return found


def turn_meta(meta: dict[str, Any]) -> TurnMeta | None:
    """A turn's meta as the registered model of its ``kind``; None when it has no kind a
    protocol describes, or does not validate."""
    models: tuple[type[TurnMeta], ...] = _models("turn_metas")  # type: ignore[assignment]
    if "kind" not in meta or not models:
        return None
    try:
        found: TurnMeta = _meta_adapter(models).validate_python(meta)
    except ValidationError:
        return None
    return found
