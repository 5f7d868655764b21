"""A consistency check's verdict ``metrics`` as a typed model: its family, the elicited answers
and its violation (0 = coherent; null when it cannot be computed)."""

from __future__ import annotations

from typing import Any, ClassVar

from ...safetext import md_line
from ..meta import Measurement, MetricColumns


class CheckMetrics(Measurement):
    """A check's measurements. Stored without a ``kind`` key (as they always were): told
    apart by their ``family``."""

    tag: ClassVar[str] = "consistency"
    family: str
    violation: float | None = None
    credence_shift: float | None = None
    n_unparseable: int | None = None

    @classmethod
    def matches(cls, data: dict[str, Any]) -> bool:
        return "kind" not in data and "family" in data

    @property
    def measured(self) -> bool:
        """Whether the check got as far as a violation (null when undefined)."""
        return "violation" in self.model_fields_set

    def markdown(self) -> str:
        if not self.measured:
            return ""
        return (
            f"Consistency check ({md_line(self.family)}): violation "
            f"**{md_line(self.violation)}** · {md_line(self.n_unparseable or 0)} answers unparsed"
        )

    def text(self) -> str:
        return f"{self.family} violation {self.violation}" if self.measured else ""

    def columns(self) -> MetricColumns:
        return MetricColumns(self.family, self.violation, self.credence_shift, self.n_unparseable)
