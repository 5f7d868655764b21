"""Budgets of a run: ``max_cost_usd`` for the whole run and ``max_transcript_cost_usd`` for each
transcript, ``max_tokens_total`` for the whole run. A budget is checked before each call starts;
once one is reached no new call starts (calls already in flight finish and are recorded), and the
run ends with status ``budget``, resumable with a higher budget."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import Event, Sink, TurnCompleted, TurnStarted
from ..records import Turn
from ..store import Store
from .config import Experiment


class BudgetReached(BaseException):
    """A budget was reached before a call started; the call is not made.

    A `BaseException`, like `StoreUnavailable`, on purpose: protocol code records a failed call
    as an ``error`` verdict when it catches ``Exception``, and a call that was never made is no
    model's fault, so it must pass through and stop the transcript (which then has no verdict,
    and is run again on ``--resume``). The message is one line."""


@dataclass
class Spend:
    """What calls have cost so far. Turns answered from the cache and turns a fork copied cost
    nothing and are not counted; a call whose cost is unknown (no price for its model) counts
    in ``unpriced`` and not in ``cost_usd``."""

    cost_usd: float = 0.0
    tokens: int = 0
    unpriced: int = 0

    def add(self, turn: Turn) -> None:
        if turn.cached or turn.meta.get("copied"):
            return
        self.tokens += (turn.input_tokens or 0) + (turn.output_tokens or 0)
        if turn.cost_usd is None:
            self.unpriced += turn.error is None
        else:
            self.cost_usd += turn.cost_usd


@dataclass
class Budget:
    """The limits of one run and what it has spent; `guard` wraps each transcript's sink."""

    max_cost_usd: float | None = None
    max_transcript_cost_usd: float | None = None
    max_tokens_total: int | None = None
    spent: Spend = field(default_factory=Spend)
    """The run's spend, including what an earlier execution of a resumed run spent."""
    reason: str | None = None
    """Why the run (or a transcript of it) stopped: the first budget reached."""

    @classmethod
    def of(cls, experiment: Experiment, store: Store, resumed: str | None = None) -> Budget:
        """The experiment's budgets; for a ``resumed`` run, with what it already spent."""
        budget = cls(
            experiment.max_cost_usd, experiment.max_transcript_cost_usd, experiment.max_tokens_total
        )
        if resumed and budget.active:
            for view in store.transcripts_of(resumed):
                for turn in view.turns:
                    budget.spent.add(turn)
        return budget

    @property
    def active(self) -> bool:
        limits = (self.max_cost_usd, self.max_transcript_cost_usd, self.max_tokens_total)
        return any(v is not None for v in limits)

    def run_reached(self) -> str | None:
        """Which run budget is used up, as a line; None while calls may start."""
        if self.max_cost_usd is not None and self.spent.cost_usd >= self.max_cost_usd:
            return f"max_cost_usd {self.max_cost_usd:g} reached (${self.spent.cost_usd:.4f} spent)"
        if self.max_tokens_total is not None and self.spent.tokens >= self.max_tokens_total:
            return f"max_tokens_total {self.max_tokens_total} reached ({self.spent.tokens} tokens)"
        return None

    def guard(self, emit: Sink) -> Sink:
        """A transcript's sink: refuses `TurnStarted` (raising `BudgetReached`, before the call
        is made) once a budget is reached, and counts each completed turn after ``emit`` (the
        store) has it."""
        mine = Spend()
        cap = self.max_transcript_cost_usd

        def sink(event: Event) -> None:
            if isinstance(event, TurnStarted):
                reason = self.run_reached()
                if reason is None and cap is not None and mine.cost_usd >= cap:
                    reason = f"max_transcript_cost_usd {cap:g} reached in a transcript"
                if reason is not None:
                    self.reason = self.reason or reason
                    raise BudgetReached(reason)
            emit(event)
            if isinstance(event, TurnCompleted):
                self.spent.add(event.turn)
                mine.add(event.turn)

        return sink


def budget_stop(error: BaseException) -> bool:
    """Whether ``error`` (or every error in the groups task groups raised) is `BudgetReached`."""
    if isinstance(error, BudgetReached):
        return True
    if isinstance(error, BaseExceptionGroup):
        return all(budget_stop(inner) for inner in error.exceptions)
    return False
