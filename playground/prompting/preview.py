"""Values to preview a prompt with: a dataset item filled in the way the judged protocols fill
their templates (the item's first assignment under the given seed, round 1), so the editor can
show an edited prompt rendered before any model is called."""

from __future__ import annotations

import random
from typing import Any

from ..prompts import PromptTemplate
from ..protocols.judging import answer_pair
from ..providers import Message
from ..records import Item

DEBATE_PLACEHOLDER = "Round 1\nDebater A: (Debater A's speech)\nDebater B: (Debater B's speech)"
CANDIDATES_PLACEHOLDER = "1. (first candidate speech)\n\n2. (second candidate speech)"


def preview_values(item: Item, *, seed: int = 0, rounds: int = 3, judge: bool = False) -> dict:
    """Every value a judged protocol passes to an arguer, a selector or a judge, for ``item``;
    the transcript is empty for an arguer (round 1) and a placeholder debate for a judge."""
    shown = answer_pair(item, random.Random(f"{seed}:{item.id}"))
    return {
        "question": item.question,
        "passage": item.passage or "(none)",
        "answer_a": item.answers[shown[0]],
        "answer_b": item.answers[shown[1]],
        "name": "A",
        "my_answer": item.answers[shown[0]],
        "other_answer": item.answers[shown[1]],
        "round": 1,
        "rounds": rounds,
        "transcript": DEBATE_PLACEHOLDER if judge else "(nothing yet)",
        "candidates": CANDIDATES_PLACEHOLDER,
    }


def render_preview(template: PromptTemplate, item: Item, *, seed: int = 0) -> list[Message]:
    """The template rendered on ``item``; a variable no protocol passes is shown as ``⟨name⟩``
    instead of failing, so a draft with a problem can still be previewed."""
    values: dict[str, Any] = preview_values(item, seed=seed, judge=template.role == "judge")
    for name in template.variables:
        values.setdefault(name, f"⟨{name}⟩")
    return template.render(**values)
