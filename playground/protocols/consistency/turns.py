"""A consistency check's turn ``meta`` as typed models, one per ``kind``: the subject's answer to
one statement, a variant writer's reply, and one judging of a debate under one presentation.
Keys a turn gets only once its reply is read are optional (a failed call has none)."""

from __future__ import annotations

from typing import Literal

from ...records import VerdictStatus
from ..meta import TurnMeta


class ElicitationMeta(TurnMeta):
    """The subject's probability for one statement (``key`` names it in the check)."""

    kind: Literal["elicitation"] = "elicitation"
    key: str
    statement: str
    probability: float | None = None
    status: str | None = None
    reason: str | None = None


class VariantMeta(TurnMeta):
    """The lines a variant writer wrote for ``key``: ``texts`` for paraphrases, else ``text``."""

    kind: Literal["variant"] = "variant"
    key: str
    text: str | None = None
    texts: list[str] | None = None

    def lines(self) -> list[str]:
        """The usable lines it wrote (empty: nothing usable)."""
        if self.texts is not None:
            return list(self.texts)
        return [self.text] if self.text else []


class JudgementMeta(TurnMeta):
    """The subject judging the debate under one presentation (``variant``), and what it read."""

    kind: Literal["judgement"] = "judgement"
    variant: str
    labels: list[str]
    display_order: list[int]
    question: str
    status: VerdictStatus | None = None
    choice: int | None = None
    credences: list[float] | None = None
    reason: str | None = None


TURN_METAS = (ElicitationMeta, VariantMeta, JudgementMeta)
