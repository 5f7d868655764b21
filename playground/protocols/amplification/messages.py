"""What each amplification role is shown: the values its prompt template is filled with.

Every node's prompt names its own question; nodes below the root also name the main question
they serve. Only the root shows the item's answers (as A and B, in the assignment's display
order) and asks for ``Answer: A or B`` plus a confidence, so its reply parses like any verdict;
other nodes end with ``Answer: <short answer>``. The passage, when the item has one, is shown
to every role but the checker, which judges the reasoning alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...providers import Message
from ..base import TranscriptContext
from .tree import ROOT, Node

LABELS = ("A", "B", "C", "D", "E", "F")
ROOT_FORMAT = "Answer: A or B\nConfidence: a number from 50 to 100"
NODE_FORMAT = "Answer: <a short answer: a number, a name or a few words>"
UPWARD_CHARS = 500
"""A reply with no readable short answer is passed up whole, cut to this many characters."""


def options_text(ctx: TranscriptContext) -> str:
    shown = ctx.assignment.display_order
    lines = [f"{LABELS[i]}. {ctx.item.answers[a]}" for i, a in enumerate(shown)]
    return "\nOptions:\n" + "\n".join(lines)


def common(ctx: TranscriptContext, node: Node) -> dict[str, Any]:
    root = node.id == ROOT
    passage = f"Source text: {ctx.item.passage}\n\n" if ctx.item.passage else ""
    context = "" if root else f"This question helps to answer: {ctx.item.question}\n"
    return {
        "question": node.question,
        "passage": passage,
        "context": context,
        "options": options_text(ctx) if root else "",
        "answer_format": ROOT_FORMAT if root else NODE_FORMAT,
    }


def render(ctx: TranscriptContext, role: str, values: dict[str, Any]) -> list[Message]:
    """The seat's template filled in (a template may use fewer of the values than it gets)."""
    prompt = ctx.seats[role].prompt
    assert prompt is not None
    return prompt.render(**values)


def decompose(ctx: TranscriptContext, node: Node, max_branching: int) -> list[Message]:
    return render(ctx, "decomposer", common(ctx, node) | {"max_branching": max_branching})


def answer(ctx: TranscriptContext, node: Node) -> list[Message]:
    """A leaf's answer, and the direct answer of any node (its subquestions unseen)."""
    return render(ctx, "answerer", common(ctx, node))


def upward(node: Node) -> str:
    """What a node passes to its parent: its short answer, else its whole reply, cut."""
    if node.short:
        return node.short
    text = " ".join((node.answer or "").split())
    return text[:UPWARD_CHARS] + ("…" if len(text) > UPWARD_CHARS else "") or "(no answer)"


def subanswers(children: Sequence[Node]) -> str:
    return "\n".join(
        f"{n}. {child.question}\n   Answer: {upward(child)}" for n, child in enumerate(children, 1)
    )


def recombine(
    ctx: TranscriptContext, node: Node, children: Sequence[Node], role: str = "recombiner"
) -> list[Message]:
    return render(ctx, role, common(ctx, node) | {"subanswers": subanswers(children)})


def check(ctx: TranscriptContext, node: Node, children: Sequence[Node]) -> list[Message]:
    values = common(ctx, node) | {
        "subanswers": subanswers(children),
        "reasoning": (node.answer or "").strip() or "(empty)",
    }
    return render(ctx, "checker", values)
