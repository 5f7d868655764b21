"""Live counts of a run (transcripts done, verdicts by status, tokens, cost) that anyone can read
while it goes: a `RunHandle` keeps one (the Batch page polls it), the CLI draws one."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import (
    BatchProgress,
    Event,
    LimitChanged,
    RunStarted,
    TranscriptFinished,
    TurnCompleted,
    VerdictReached,
)


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
    batches: dict[str, BatchProgress] = field(default_factory=dict)
    """A batch run's provider batches, each as last reported (by the provider's batch id)."""
    limits: dict[str, LimitChanged] = field(default_factory=dict)
    """Calls-in-flight limits that adapted, each as last changed (by name)."""

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
            case BatchProgress():
                self.batches[event.batch_id] = event
            case LimitChanged():
                self.limits[event.name] = event

    def limit_line(self) -> str:
        """The limits in force that adapted, e.g. ``limit openai 2/8``; empty if none did."""
        return ", ".join(
            f"limit {c.name} {c.in_force}/{c.max_in_flight}" for c in self.limits.values()
        )

    def batch_line(self) -> str:
        """Batches and their requests so far, in one line; empty outside a batch run."""
        if not self.batches:
            return ""
        seen = list(self.batches.values())
        collected = sum(b.status == "collected" for b in seen)
        requests = sum(b.requests for b in seen)
        succeeded = sum(b.succeeded for b in seen)
        failed = sum(b.failed for b in seen)
        waves = max(b.wave for b in seen)
        return (
            f"batches {len(seen)} ({collected} collected, wave {waves}) | requests "
            f"{succeeded}/{requests} succeeded, {failed} failed"
        )

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0
