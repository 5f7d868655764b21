"""Reading an elicited probability, strictly.

The model is asked for one line, ``Probability: 0.7``. Rules, in order:

- ``Probability: X`` anywhere (case-insensitive, colon required), X a number: a value in
  [0, 1] is a probability; ``X%`` or a value above 1 up to 100 is a percentage. Anything
  above 100 is unparseable.
- A reply that is only a number (``0.7``, ``70%``) counts the same way.
- Several ``Probability:`` values that differ → unparseable (conflicting); none → unparseable.

Nothing else is guessed: "likely", "70 percent chance" in prose, or a range are unparseable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"\s*[:：]\s*[*_]*\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)"
_BARE = re.compile(r"^[\s*_]*(\d+(?:\.\d+)?|\.\d+)\s*(%?)[\s*_.]*$")


@dataclass(frozen=True)
class Elicited:
    """One parsed answer: its probability, or None with the reason it did not parse."""

    probability: float | None
    reason: str | None = None

    @property
    def status(self) -> str:
        return "ok" if self.probability is not None else "unparseable"


def _value(number: str, percent: str) -> float | None:
    value = float(number)
    if percent or value > 1:
        value /= 100
    return value if 0 <= value <= 1 else None


def parse_probability(text: str, label: str = "Probability") -> Elicited:
    """The probability a reply gives after ``label:`` (by the rules above), or why it gives
    none; the approval lab reads ``Approval: X`` the same way."""
    matches = re.findall(rf"\b{re.escape(label)}{_NUMBER}", text, re.IGNORECASE)
    if not matches:
        bare = _BARE.match(text.strip())
        if not bare:
            return Elicited(None, f"no '{label}: X' found")
        matches = [bare.groups()]
    values = {_value(number, percent) for number, percent in matches}
    if None in values:
        return Elicited(None, "probability out of range (give 0–1 or 0–100%)")
    if len(values) > 1:
        shown = ", ".join(f"{v:g}" for v in sorted(v for v in values if v is not None))
        return Elicited(None, f"conflicting probabilities: {shown}")
    (value,) = values
    return Elicited(value)
