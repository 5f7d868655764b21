"""Strict readers of amplification replies: decompositions, short answers and checker verdicts.

Small models ignore output formats, so each reader says what it could not read instead of
guessing:

- A decomposition is ``LEAF`` alone, or subquestions one per line as ``- …``, ``* …``, ``1. …`` or
  ``1) …``. Anything else (prose, both ``LEAF`` and a list, an empty list) is ``unparseable``,
  and the node is then answered as a leaf, recorded as such. One subquestion is not a
  decomposition either (``single``): the node is a leaf.
- A short answer is the text after the last ``Answer:`` (colon required) on its line; a reply
  that is only one line of at most eight words is its own short answer.
- A justification verdict is ``Justified: yes`` / ``Justified: no`` (or a reply that is only yes or
  no) with an optional ``Confidence: 50–100``; none or both → ``unparseable``, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

DecompositionStatus = Literal["ok", "leaf", "single", "unparseable"]

_LEAF = re.compile(r"^[\s*_\"'`]*leaf[\s*_\"'`.!]*$", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.+?)\s*$")
_ANSWER = re.compile(r"\banswer\s*[:：]\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_JUSTIFIED = re.compile(r"\bjustified\s*[:：]\s*[*_\"']*\s*(yes|no)\b", re.IGNORECASE)
_BARE_YES_NO = re.compile(r"^[\s*_\"'`]*(yes|no)[\s*_\"'`.!]*$", re.IGNORECASE)
_CONFIDENCE = re.compile(r"\bconfidence\s*[:：]\s*[*_]*\s*(\d+(?:\.\d+)?)\s*(%?)", re.IGNORECASE)
_NUMBER = re.compile(r"^-?\d[\d,]*(?:\.\d+)?$")
_ARTICLES = {"the", "a", "an"}
MAX_SUBQUESTION_CHARS = 400
BARE_WORDS = 8


@dataclass(frozen=True)
class Decomposition:
    """What a decomposer reply says: subquestions, or that the node is a leaf (and why)."""

    status: DecompositionStatus
    subquestions: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def is_leaf(self) -> bool:
        return self.status != "ok"


def parse_decomposition(text: str) -> Decomposition:
    """Read a decomposer reply; see the module docstring for the rules."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return Decomposition("unparseable", reason="empty reply")
    leaf = [line for line in lines if _LEAF.match(line)]
    items: list[str] = []
    for line in lines:
        match = _ITEM.match(line)
        if match:
            question = match.group(1).strip().strip("*_").strip()
            if question and question not in items:
                items.append(question[:MAX_SUBQUESTION_CHARS])
    if leaf and items:
        return Decomposition("unparseable", reason="both LEAF and subquestions")
    if leaf:
        return Decomposition("leaf")
    if not items:
        return Decomposition("unparseable", reason="no LEAF and no '- ' subquestion lines")
    if len(items) == 1:
        return Decomposition("single", items, reason="one subquestion is not a decomposition")
    return Decomposition("ok", items)


def short_answer(text: str) -> str | None:
    """The text after the last ``Answer:`` in a reply (or a reply of one short line), without
    markdown emphasis; None if there is neither."""
    matches = _ANSWER.findall(text)
    bare = text.strip()
    if not matches and ("\n" in bare or len(bare.split()) > BARE_WORDS):
        return None
    value = matches[-1] if matches else bare
    for _ in range(3):  # "**42**." → "42"
        value = value.strip().strip("*_`\"'").rstrip(".").strip()
    return value or None


def normalize(answer: str) -> str:
    """Lower case, punctuation dropped (but not a decimal point), articles and spaces collapsed."""
    text = answer.lower().replace(",", "")
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"[^\w\s.\-]", " ", text)
    words = [w for w in text.split() if w not in _ARTICLES]
    return " ".join(words)


def same_answer(a: str | None, b: str | None) -> bool | None:
    """Whether two short answers agree: equal once normalized, or the same number. None when
    either is missing (a check cannot compare what it cannot read)."""
    if a is None or b is None:
        return None
    left, right = normalize(a), normalize(b)
    if _NUMBER.match(left) and _NUMBER.match(right):
        return float(left) == float(right)
    return left == right


@dataclass(frozen=True)
class Justification:
    """A checker's verdict on one node: justified or not, and its credence that it is."""

    status: Literal["ok", "unparseable"]
    justified: bool | None = None
    credence: float | None = None
    """The checker's probability that the answer is justified (None without a confidence)."""
    reason: str | None = None


def parse_justification(text: str) -> Justification:
    """Read a checker reply; see the module docstring for the rules."""
    said = {m.lower() for m in _JUSTIFIED.findall(text)}
    if not said:
        bare = _BARE_YES_NO.match(text.strip())
        said = {bare.group(1).lower()} if bare else set()
    if not said:
        return Justification("unparseable", reason="no 'Justified: yes/no' found")
    if len(said) > 1:
        return Justification("unparseable", reason="both yes and no")
    justified = said == {"yes"}
    confidence, reason = _confidence(text)
    credence = None
    if confidence is not None:
        credence = round(confidence if justified else 1 - confidence, 4)
    return Justification("ok", justified, credence, reason)


def _confidence(text: str) -> tuple[float | None, str | None]:
    matches = list(_CONFIDENCE.finditer(text))
    if not matches:
        return None, "no confidence given"
    value = float(matches[-1].group(1))
    credence = value / 100 if matches[-1].group(2) == "%" or value > 1 else value
    if not 0.5 <= credence <= 1:
        return None, f"confidence {matches[-1].group(1)} is outside 50–100"
    return credence, None
