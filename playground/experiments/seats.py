"""Seats a re-run leaves unbuilt: in a re-judge or a fork the seats that do not speak again keep
the provenance the stored run recorded, and their model (whatever a stored or imported
experiment names) is not built unless the protocol calls that seat after all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..prompts import PromptTemplate
from ..protocols import Seat
from ..providers import GenerateConfig, Model
from ..providers.limits import Limiter
from ..records import RoleProvenance, Turn


class StoredSeat(Seat):
    """A seat of a re-run that is not expected to speak: its turns are copied from the stored
    transcript, so `provenance` is the stored run's. Its prompt is resolved (protocols read it
    to lay out the transcript), but its model and limiter are built by ``build`` only when a
    call needs them, through the same checks as any run."""

    def __init__(
        self,
        role: str,
        config: GenerateConfig,
        prompt: PromptTemplate | None,
        stored: RoleProvenance,
        build: Callable[[], tuple[Model, Limiter | None]],
    ) -> None:
        self.role, self.config, self.prompt = role, config, prompt
        self.stored = stored
        self._build = build
        self._built: tuple[Model, Limiter | None] | None = None

    def _ensure(self) -> tuple[Model, Limiter | None]:
        if self._built is None:
            self._built = self._build()
        return self._built

    @property
    def model(self) -> Model:  # type: ignore[override]
        """The seat's model, built on first use (the seat speaks after all)."""
        return self._ensure()[0]

    @property
    def limiter(self) -> Limiter | None:  # type: ignore[override]
        return self._ensure()[1]

    @property
    def built(self) -> bool:
        """Whether the model was built (the seat was called)."""
        return self._built is not None

    def provenance(self, resolved_model: str | None = None) -> RoleProvenance:
        if self.built:
            return super().provenance(resolved_model)
        update: dict[str, Any] = {"resolved_model": resolved_model} if resolved_model else {}
        return self.stored.model_copy(update=update)

    def __repr__(self) -> str:  # the generated one would read (and so build) the model
        return f"StoredSeat(role={self.role!r}, model={self.stored.model!r}, built={self.built})"

    __eq__ = object.__eq__
    __hash__ = object.__hash__


@dataclass(frozen=True)
class Rerun:
    """Which seats of a re-run speak again, and what the stored run recorded of every seat."""

    speaking: frozenset[str]
    stored: dict[str, RoleProvenance]
    """The stored run's ``config.provenance.roles``, where it names the seat."""

    @classmethod
    def of(cls, turns: list[Turn], kept: list[Turn], config: Mapping[str, Any]) -> Rerun:
        """A re-run that starts from the ``kept`` of a stored transcript's ``turns``: the
        seats whose turns are run again (not kept, or failed: failed turns are not copied)
        speak; ``config`` is the stored run's config."""
        again = {t.index for t in kept if t.error is None}
        roles = (config.get("provenance") or {}).get("roles") or {}
        stored = {}
        for role, raw in roles.items():
            try:
                stored[role] = RoleProvenance.model_validate(raw)
            except ValueError:
                continue  # a doctored entry: the seat's provenance is then derived from its config
        return cls(frozenset(t.role for t in turns if t.index not in again), stored)
