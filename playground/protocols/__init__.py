"""Oversight protocols, by name, from one registry. Adding one is a module with a `Protocol`
subclass decorated with `@register` (and its prompt files); importing this package registers
the built-in ones, in this order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .base import Protocol, Seat, TranscriptContext, TurnFailed
from .registry import get_protocol, on_page, protocols, register, registered, seat_style

# The built-in protocols register as their modules are imported, in this order (the order
# "known protocols" are listed in).
# isort: off
from . import blind, consultancy, debate  # noqa: F401
from . import amplification, consistency, approval  # noqa: F401
from . import probe  # noqa: F401
# isort: on


class _Registered(Mapping[str, type[Protocol[Any]]]):
    """The registry as a read-only mapping (name → class), always current."""

    def __getitem__(self, name: str) -> type[Protocol[Any]]:
        return protocols()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(protocols())

    def __len__(self) -> int:
        return len(protocols())


PROTOCOLS: Mapping[str, type[Protocol[Any]]] = _Registered()
"""Protocol name (the ``protocol`` key of an experiment file) → its class, as registered."""

__all__ = [
    "PROTOCOLS",
    "Protocol",
    "Seat",
    "TranscriptContext",
    "TurnFailed",
    "get_protocol",
    "on_page",
    "protocols",
    "register",
    "registered",
    "seat_style",
]
