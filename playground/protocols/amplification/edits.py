"""Planning a change to a logged tree: replace a node's answer by hand, or re-run a subtree, then
recompute its ancestors (`playground.experiments.tree_fork` runs the plan). Each is a fork: a
new run whose one transcript links to the original (``parent_id``), starts from copies of the turns that stay valid (``meta.copied``, and
``meta.parent_index`` = the turn's index in the original), and calls models only for what
changed: the ancestors' recombinations and checks (their direct answers do not depend on the
subtree, so they are recorded again from the original without a call, ``meta.reused_from``).

An edit is a human turn (``model = "human"``, ``meta.step = "edit"``, ``meta.edited_from`` = the
fork's index of the copied turn that held the old answer). A re-run asks the subtree afresh,
without the response cache. A node below one a person answered cannot be changed (that
answer would hide the change): edit or re-run the answered node instead.
"""

from __future__ import annotations

from typing import Literal

from ...records import Turn
from ...store import TranscriptView
from .protocol import ForkPlan
from .solve import index_turns
from .tree import ROOT, ancestors, subtree, tree_from_turns

Kind = Literal["edit", "rerun"]


class EditError(ValueError):
    """A change the tree cannot take (no such node, the root, a node under a hand-made one)."""


def plan_fork(
    original: TranscriptView, node: str, kind: Kind, answer: str | None = None
) -> tuple[list[Turn], ForkPlan]:
    """The turns a fork starts from (renumbered 0…n-1) and what it changes."""
    nodes = tree_from_turns(original.item.question, original.turns)
    if node not in nodes:
        raise EditError(f"no node {node!r} in transcript {original.id}")
    if kind == "edit" and node == ROOT:
        raise EditError("the root has no ancestors to recompute: edit a subquestion")
    recompute = ancestors(node)
    for above in recompute:
        if nodes[above].edited:
            raise EditError(
                f"node {above}, above {node}, was answered by hand: edit or re-run {above} instead"
            )
    below = subtree(node, nodes) if kind == "rerun" else set()
    latest = index_turns(original.turns)
    reuse = {n: t for (n, step, check), t in latest.items() if n in recompute and check == "direct"}
    kept = []
    for turn in sorted(original.turns, key=lambda t: t.index):
        owner, step = turn.meta.get("node"), turn.meta.get("step")
        if turn.error or owner in below or (owner in recompute and step in ("recombine", "check")):
            continue
        kept.append(turn)
    renumbered = {t.index: i for i, t in enumerate(kept)}
    copied = [
        t.model_copy(
            update={"index": renumbered[t.index], "meta": {**t.meta, "parent_index": t.index}}
        )
        for t in kept
    ]
    edits = []
    if kind == "edit":
        assert answer is not None
        old = nodes[node].answer_turn
        edits.append((node, answer, renumbered.get(old) if old is not None else None))
    return copied, ForkPlan(edits=edits, reuse=reuse)
