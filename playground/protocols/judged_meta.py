"""The judged protocols' turn ``meta`` as typed models, one per ``kind`` (a speech has none): a
judge's interim judgement after a round, a judge's question, a side choice, a best-of-N
candidate and the selector's scoring of the candidates."""

from __future__ import annotations

from typing import Literal

from ..records import VerdictStatus
from .meta import TurnMeta
from .votes import VoteMeta


class InterimMeta(TurnMeta):
    """A judge's choice and credences after a round (a credence-curve point, not a verdict)."""

    kind: Literal["interim"] = "interim"
    status: VerdictStatus
    choice: int | None = None
    credences: list[float] | None = None


class QuestionMeta(TurnMeta):
    """A judge's question between rounds, which the arguers see."""

    kind: Literal["question"] = "question"


class ChoiceMeta(TurnMeta):
    """An open protocol's arguer choosing its side (null: no clear choice)."""

    kind: Literal["choice"] = "choice"
    chose: int | None = None


class CandidateMeta(TurnMeta):
    """One of the N samples of a best-of-N speech (1-based)."""

    kind: Literal["candidate"] = "candidate"
    candidate: int


class SelectionMeta(TurnMeta):
    """The selector's scores per candidate (keys 1-based, as text) and its pick."""

    kind: Literal["selection"] = "selection"
    scores: dict[str, float]
    chosen: int
    status: Literal["ok", "unparseable"]


JUDGED_METAS = (InterimMeta, QuestionMeta, ChoiceMeta, CandidateMeta, SelectionMeta, VoteMeta)
