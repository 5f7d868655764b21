"""Events a protocol emits while it runs: the store records them, the page renders them.

Sinks are plain callables, called in order on the event loop's thread; a sink must be quick
(write a row, put on a queue). They carry the record types themselves, never a copy in
another shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .records import Assignment, Item, Provenance, Turn, Verdict


@dataclass(frozen=True)
class RunStarted:
    """A run (or a resumed run) is about to execute ``total`` transcripts; ``skipped`` more were
    already complete when it was resumed."""

    run_id: str
    total: int
    skipped: int = 0


@dataclass(frozen=True)
class TranscriptStarted:
    run_id: str
    transcript_id: str
    item: Item
    assignment: Assignment
    parent_id: str | None = None


@dataclass(frozen=True)
class TurnStarted:
    transcript_id: str
    index: int
    role: str
    round: int | None
    model: str


@dataclass(frozen=True)
class TextDelta:
    transcript_id: str
    index: int
    text: str


@dataclass(frozen=True)
class TurnRestarted:
    """A call failed and will be retried: discard the partial text shown for this turn."""

    transcript_id: str
    index: int
    error: str
    wait_s: float


@dataclass(frozen=True)
class TurnCompleted:
    transcript_id: str
    turn: Turn


@dataclass(frozen=True)
class VerdictReached:
    run_id: str
    transcript_id: str
    verdict_id: str
    verdict: Verdict
    is_correct: bool | None
    provenance: Provenance


@dataclass(frozen=True)
class TranscriptFinished:
    transcript_id: str
    status: str
    """``done``, or ``error`` when the protocol could not finish (the reason is in ``error``)."""
    error: str | None = None


@dataclass(frozen=True)
class BatchProgress:
    """A provider batch of a batch run changed: submitted, polled, collected (or resumed)."""

    run_id: str
    batch_id: str
    """The provider's batch id."""
    provider: str
    wave: int
    status: str
    requests: int
    succeeded: int = 0
    failed: int = 0


@dataclass(frozen=True)
class LimitChanged:
    """An endpoint's calls-in-flight limit adapted (`playground.providers.limits`): lowered
    after a rate-limit answer, or grown back."""

    name: str
    """The ``[limits]`` table (``openai``, a model string) or ``max_calls``."""
    in_force: int
    max_in_flight: int


Event = (
    RunStarted
    | TranscriptStarted
    | TurnStarted
    | TextDelta
    | TurnRestarted
    | TurnCompleted
    | VerdictReached
    | TranscriptFinished
    | BatchProgress
    | LimitChanged
)
Sink = Callable[[Event], None]


def fan_out(sinks: Iterable[Sink | None]) -> Sink:
    """One sink that passes each event to every given sink, in order."""
    targets = [s for s in sinks if s is not None]

    def sink(event: Event) -> None:
        for target in targets:
            target(event)

    return sink
