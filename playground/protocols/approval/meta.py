"""The approval lab's stored shapes as typed models: an approval verdict's ``metrics`` (one row
per step and source) and the ``meta`` of its turns (a proposed step, an argument, a rating, the
environment's result of a step, the episode's outcome)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from ...safetext import md_line, md_prose
from ..meta import Measurement, TurnMeta


class OutcomeRow(BaseModel):
    """How the episode ended, as the environment scores it."""

    reward: float
    success: bool
    hacked: bool
    detail: Any = None


class ApprovalMetrics(Measurement):
    """One source's approval of one step, beside the step's ground truth and the outcome."""

    tag: ClassVar[str] = "approval"
    with_reason: ClassVar[bool] = False
    kind: Literal["approval"] = "approval"
    environment: str
    source: str
    step: int
    step_name: str
    state: str
    instruction: str
    proposal: str
    approval: float | None
    rationale: str | None
    cost_usd: float | None
    true_value: float
    good: bool
    valid: bool
    detail: Any = None
    outcome: OutcomeRow

    def markdown(self) -> str:
        return (
            f"Approval of step {md_line(self.step)} ({md_line(self.source)}): "
            f"**{md_line(self.approval)}** · true value **{self.true_value:.3g}** · "
            f"rationale: {md_prose(str(self.rationale))}"
        )

    def text(self) -> str:
        return f"{self.source} step {self.step}: approval {self.approval}"


class StepMeta(TurnMeta):
    """The agent's proposal for a step."""

    kind: Literal["step"] = "step"
    step: int
    step_name: str


class ArgumentMeta(TurnMeta):
    """A debater's or consultant's argument about a step."""

    kind: Literal["argument"] = "argument"
    source: str
    step: int
    side: str | None = None


class RatingMeta(TurnMeta):
    """An overseer's or judge's rating of a step (null approval: it did not parse)."""

    kind: Literal["approval"] = "approval"
    source: str
    step: int
    approval: float | None = None
    rationale: str | None = None


class StepResultMeta(TurnMeta):
    """The environment's result of a step: its ground truth."""

    kind: Literal["step_result"] = "step_result"
    step: int
    true_value: float
    good: bool
    valid: bool
    detail: Any = None


class OutcomeMeta(TurnMeta):
    """The episode's outcome, written when it ends."""

    kind: Literal["outcome"] = "outcome"
    reward: float
    success: bool
    hacked: bool
    detail: Any = None


TURN_METAS = (StepMeta, ArgumentMeta, RatingMeta, StepResultMeta, OutcomeMeta)
