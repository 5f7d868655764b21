"""Reading what protocols stored as JSON through their models: a verdict's ``metrics`` and a
turn's ``meta`` validated as the union, told apart by ``kind``, of the models the registered
protocols declare (`Protocol.measurements`, `Protocol.turn_metas`). Pages and the analysis use
these instead of reading keys out of dicts."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Union

from pydantic import BaseModel, Discriminator, Tag, TypeAdapter, ValidationError

from .meta import Measurement, MetricColumns, TurnMeta
from .registry import protocols

__all__ = ["MetricColumns", "measurement", "turn_meta"]


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
    if isinstance(data, TurnMeta):
        return data.kind
    return next((k for k, m in kinds.items() if isinstance(data, dict) and m.matches(data)), None)


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
    """A turn's meta as the registered model of its ``kind`` (or that `TurnMeta.matches` it);
    None when no protocol describes it, or it does not validate."""
    models: tuple[type[TurnMeta], ...] = _models("turn_metas")  # type: ignore[assignment]
    if not meta or not models:
        return None
    try:
        found: TurnMeta = _meta_adapter(models).validate_python(meta)
    except ValidationError:
        return None
    return found
