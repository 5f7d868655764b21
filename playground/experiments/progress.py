"""Live counts of a run (transcripts done, verdicts by status, tokens, cost) that anyone can read
while it goes: a `RunHandle` keeps one (the Batch page polls it), the CLI draws one."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import Event, RunStarted, TranscriptFinished, TurnCompleted, VerdictReached


@dataclass
class RunProgress:
    """Counts of a run so far; a `Sink`. Reads are safe from any thread (plain numbers)."""

    total: int = 0
    """Transcripts this execution runs (after a resume: those left)."""
    skipped: int = 0
    """Transcripts already complete when a run was resumed."""
    done: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"ok": 0, "unparseable": 0, "error": 0})
    correct: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    cached: int = 0

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.total, self.skipped = event.total, event.skipped
            case TurnCompleted(turn=turn):
                self.tokens += (turn.input_tokens or 0) + (turn.output_tokens or 0)
                self.cost_usd += turn.cost_usd or 0.0
                self.cached += turn.cached
            case VerdictReached():
                self.counts[event.verdict.status] += 1
                self.correct += bool(event.is_correct)
            case TranscriptFinished():
                self.done += 1

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0
