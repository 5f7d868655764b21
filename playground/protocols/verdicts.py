"""Parsing a judge's reply into a verdict: explicit about what counts as a choice.

The judge is asked for two lines, ``Answer: A`` and ``Confidence: 80``. Rules, in order:

- A choice is a line-initial-or-inline ``Answer: X`` (colon required, so prose such as
  "Answer A is weak" is never read as a choice), where X is one of the shown labels, upper case.
  A reply that is only a label ("B", "**B**.") also counts.
- Two different labels given as choices → ``unparseable`` (conflicting); none → ``unparseable``.
- ``Confidence: N`` (N in 50–100, or 0.5–1 as a probability) gives the chosen answer credence
  N/100 and the other shown answer the rest. A missing or out-of-range confidence leaves the
  choice but records no credences, with the reason.
- Answers not shown to the judge get credence 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..records import Verdict

_CHOICE = re.compile(r"\banswer\s*[:：]\s*[*_\"'(\[]*\s*([A-Z])(?![A-Za-z])", re.IGNORECASE)
_BARE = re.compile(r"^[\s*_\"'(\[]*([A-Z])[\s*_\"')\].]*$")
_CONFIDENCE = re.compile(r"\bconfidence\s*[:：]\s*[*_]*\s*(\d+(?:\.\d+)?)\s*(%?)", re.IGNORECASE)


def _labels_chosen(text: str, labels: Sequence[str]) -> list[str]:
    found = []
    for match in _CHOICE.finditer(text):
        letter = match.group(1)
        # upper case only: "answer: a" is too easily the article in "answer: a good one"
        if letter in labels and letter == letter.upper():
            found.append(letter)
    if not found:
        bare = _BARE.match(text.strip())
        if bare and bare.group(1) in labels:
            found.append(bare.group(1))
    return found


def _confidence(text: str) -> tuple[float | None, str | None]:
    matches = list(_CONFIDENCE.finditer(text))
    if not matches:
        return None, "no confidence given"
    value = float(matches[-1].group(1))
    percent = matches[-1].group(2) == "%" or value > 1
    credence = value / 100 if percent else value
    if not 0.5 <= credence <= 1:
        return None, f"confidence {matches[-1].group(1)} is outside 50–100"
    return credence, None


def parse_verdict(
    text: str, shown: Sequence[int], n_answers: int, labels: Sequence[str] = ("A", "B")
) -> Verdict:
    """Read a judge reply. ``shown`` lists answer indices in the order shown, matching ``labels``."""
    labels = list(labels[: len(shown)])
    chosen = _labels_chosen(text, labels)
    if not chosen:
        return Verdict(status="unparseable", raw=text, reason="no 'Answer: X' choice found")
    if len(set(chosen)) > 1:
        return Verdict(
            status="unparseable",
            raw=text,
            reason=f"conflicting choices: {', '.join(sorted(set(chosen)))}",
        )
    choice = shown[labels.index(chosen[0])]
    credence, reason = _confidence(text)
    credences = None
    if credence is not None:
        credences = [0.0] * n_answers
        credences[choice] = credence
        others = [i for i in shown if i != choice]
        for i in others:
            credences[i] = (1 - credence) / len(others)
    return Verdict(status="ok", choice=choice, credences=credences, raw=text, reason=reason)
