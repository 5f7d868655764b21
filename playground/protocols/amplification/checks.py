"""The checks run at every internal node once it is recombined, each recorded on its own turn.

- ``justification``: the checker reads the node's subquestions, their answers and the
  recombiner's reasoning and says whether they justify the answer (``Justified: yes/no`` and a
  confidence). ``flagged`` when it says no; ``credence`` is its probability that the answer is
  justified. An unreadable reply is ``status = "unparseable"``, ``flagged = None``: never a pass.
- ``resample``: the node is recombined again from the same subanswers by the
  ``recombiner_resample`` seat (the recombiner's settings unless overridden), with the
  subquestions shuffled (``resample = "shuffle"``) or as they were (``"sample"``), as a separate
  sample that the cache does not answer from the first. ``flagged`` when the answer changes.
- ``direct``: the answerer answers the node's question without its subquestions. ``flagged`` when
  that disagrees with the recombined answer. At the root this is also the ``direct`` verdict.

Answers are compared as `parsing.same_answer` says (at the root: the chosen option); if either
cannot be read the check is ``unparseable``. A check whose call fails is recorded as an error
and the tree goes on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from ...records import Turn
from ..base import TranscriptContext, TurnFailed
from . import messages
from .parsing import parse_justification, same_answer
from .tree import ROOT, Node, node_meta

Reader = Callable[[str], dict[str, Any]]
"""Reads a reply that answers the node: its short answer (and at the root its choice)."""


def compared(node: Node, reading: dict[str, Any]) -> dict[str, Any]:
    """Status and flag of a check that compares another answer with the node's own."""
    same = same_answer(node.short, reading.get("short"))
    if same is None:
        unread = "the node's own answer" if node.short is None else "this answer"
        return {"status": "unparseable", "flagged": None, "detail": f"{unread} could not be read"}
    return {"status": "ok", "flagged": not same}


def shuffled(node_id: str, n: int) -> list[int]:
    """A fixed order of ``n`` subquestions for this node that differs from the original."""
    order = list(range(n))
    random.Random(f"resample:{node_id}").shuffle(order)
    return order if order != sorted(order) else order[1:] + order[:1]


async def guarded(call: Callable[[], Any]) -> Turn:
    """A check's call; a failure is already recorded on its turn, so the tree goes on."""
    try:
        turn: Turn = await call()
    except TurnFailed as failed:
        return failed.turn
    return turn


async def justification(ctx: TranscriptContext, node: Node, children: Sequence[Node]) -> Turn:
    def read(text: str) -> dict[str, Any]:
        verdict = parse_justification(text)
        flagged = None if verdict.justified is None else not verdict.justified
        return {
            "status": verdict.status,
            "flagged": flagged,
            "credence": verdict.credence,
            "detail": verdict.reason,
        }

    meta = node_meta(node.id, "check", check="justification", status="error")
    return await guarded(
        lambda: ctx.call("checker", messages.check(ctx, node, children), meta=meta, annotate=read)
    )


async def resample(
    ctx: TranscriptContext, node: Node, children: Sequence[Node], mode: str, read: Reader
) -> Turn:
    order = shuffled(node.id, len(children)) if mode == "shuffle" else list(range(len(children)))
    shown = [children[i] for i in order]
    role = "recombiner_resample" if "recombiner_resample" in ctx.seats else "recombiner"
    meta = node_meta(
        node.id, "check", check="resample", mode=mode, order=[c.id for c in shown], status="error"
    )

    def annotate(text: str) -> dict[str, Any]:
        reading = read(text)
        return reading | compared(node, reading)

    return await guarded(
        lambda: ctx.call(
            role,
            messages.recombine(ctx, node, shown, role=role),
            meta=meta,
            annotate=annotate,
            sample=1,  # a deliberate second sample: never answered by the first from the cache
        )
    )


async def direct(ctx: TranscriptContext, node: Node, read: Reader, reuse: Turn | None) -> Turn:
    """The node answered without its subquestions. ``reuse``: the same question's direct answer
    from the transcript this one was forked from, recorded again (no call) and compared anew."""
    extra = {"verdict": "direct"} if node.id == ROOT else {}
    meta = node_meta(node.id, "check", check="direct", status="error", **extra)
    if reuse is not None:
        reading = read(reuse.content)
        meta |= reading | compared(node, reading) | {"reused_from": reuse.index}
        return ctx.note_turn("answerer", reuse.content, model=reuse.model, meta=meta)

    def annotate(text: str) -> dict[str, Any]:
        reading = read(text)
        return reading | compared(node, reading)

    return await guarded(
        lambda: ctx.call("answerer", messages.answer(ctx, node), meta=meta, annotate=annotate)
    )
