"""The pieces of a batch run that stand in for one call: `BatchModel` (a seat's model whose
calls wait for their wave, `playground.experiments.batching`), the refusal of seats without a
batch API, and `BatchesPending`, which stops a run whose batches did not end in time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..protocols import Seat
from ..providers import Completion, GenerateConfig, Message, Model, ProviderError
from ..providers.batches import BatchEngine, engine_for
from .config import ExperimentError


class Waves(Protocol):
    """What a `BatchModel` needs of the run's collector (`batching.Collector`): a call that
    waits for its wave."""

    async def call(
        self, engine: BatchEngine, messages: list[Message], config: GenerateConfig
    ) -> Completion: ...


class BatchesPending(BaseException):
    """Batches of the run did not end within ``batch_deadline_s`` (or could not be polled):
    the run stops as ``interrupted`` and ``--resume`` collects them later. A `BaseException`,
    like `StoreUnavailable`, so protocol code does not record it as a model's error."""


def stopped(error: BaseException) -> BatchesPending | None:
    """The `BatchesPending` that stopped a run, found in its (nested) exception groups."""
    if isinstance(error, BatchesPending):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := stopped(inner)) is not None:
                return found
    return None


def check_seats(seats: dict[str, Seat]) -> None:
    """Refuse, in one line and before anything is recorded, a seat with no batch API."""
    for role, seat in seats.items():
        try:
            engine_for(seat.model, role)
        except ProviderError as exc:
            raise ExperimentError(f"batch: {exc}") from None


@dataclass
class BatchStats:
    """What a batch run sent: for the summary and the benchmark."""

    calls: int = 0
    waves: int = 0
    batches: int = 0
    resumed: int = 0
    """Batches collected from an earlier, interrupted process instead of being submitted."""
    retried: int = 0


class BatchModel(Model):
    """A seat's model in a batch run: the same model string, endpoint and provenance; each
    call waits for its wave's batch instead of going out alone."""

    def __init__(self, inner: Model, engine: BatchEngine, collector: Waves) -> None:
        super().__init__(inner.name, base_url=inner.base_url)
        self.provider = inner.provider
        self.inner = inner
        self.engine = engine
        self.collector = collector
        self.max_reply_chars = inner.max_reply_chars
        # no per-call deadline: a batch may take hours; its polling has the run's deadline

    @property
    def endpoint(self) -> str | None:
        return self.inner.endpoint  # the same response-cache key

    @property
    def init(self) -> dict[str, Any]:
        return self.inner.init

    def check_config(self, config: GenerateConfig) -> None:
        self.inner.check_config(config)

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: Any
    ) -> Completion:
        return await self.collector.call(self.engine, messages, config)
