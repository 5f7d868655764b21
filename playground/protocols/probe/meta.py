"""A judge probe verdict's ``metrics``: which probe, which logged transcript it re-judges, the
answer the change favours, and the answer the judge's own model argued (self-preference)."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...safetext import md_line
from ..meta import Measurement


class ProbeMetrics(Measurement):
    """One judgement of a logged debate under one probe (``base``: as logged)."""

    tag: ClassVar[str] = "probe"
    kind: Literal["probe"] = "probe"
    probe: str
    source_transcript: str
    target: int | None = None
    """The answer (index into the item's two answers) the change favours; None for base."""
    own: int | None = None
    """The answer argued by a debater of the judge's own model string; None if neither was."""
    picked_target: bool | None = None

    def markdown(self) -> str:
        picked = (
            ""
            if self.picked_target is None
            else f" · picked the favoured side: {self.picked_target}"
        )
        return f"Judge probe **{md_line(self.probe)}**{md_line(picked)}"

    def text(self) -> str:
        picked = (
            "" if self.picked_target is None else f", picked favoured side {self.picked_target}"
        )
        return f"probe {self.probe}{picked}"
