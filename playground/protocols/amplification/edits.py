"""Steering a logged tree: replace a node's answer by hand, or re-run a subtree, then recompute
its ancestors. Each is a fork: a new run whose one transcript links to the original
(``parent_id``), starts from copies of the turns that stay valid (``meta.copied``, and
``meta.parent_index`` = the turn's index in the original), and calls models only for what
changed: the ancestors' recombinations and checks (their direct answers do not depend on the
subtree, so they are recorded again from the original without a call, ``meta.reused_from``).

An edit is a human turn (``model = "human"``, ``meta.step = "edit"``, ``meta.edited_from`` = the
fork's index of the copied turn that held the old answer). A re-run asks the subtree afresh,
without the response cache. A node below one a person answered cannot be changed (that
answer would hide the change): edit or re-run the answered node instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ...experiments.config import ExperimentError
from ...experiments.fork import forked_experiment, load_original, run_linked
from ...experiments.options import RunOptions, run_options
from ...experiments.runner import RunSummary
from ...records import Turn
from ...store import Store, TranscriptView
from ..base import Protocol
from .protocol import Amplification, ForkPlan
from .solve import index_turns
from .tree import ROOT, ancestors, subtree, tree_from_turns

Kind = Literal["edit", "rerun"]


@dataclass
class TreeFork:
    """A fork of a tree: its run's summary and its transcript's id."""

    summary: RunSummary
    transcript_id: str


async def edit_answer(
    store: Store, transcript_id: str, node: str, answer: str, **kw: Any
) -> TreeFork:
    """Replace ``node``'s answer with ``answer`` (written by a person) and recompute its
    ancestors up to the root. Keyword arguments as for `fork_tree`."""
    if not answer.strip():
        raise ExperimentError("the new answer is empty")
    return await fork_tree(store, transcript_id, node, "edit", answer=answer, **kw)


async def rerun_subtree(store: Store, transcript_id: str, node: str, **kw: Any) -> TreeFork:
    """Ask ``node`` and everything below it again (fresh calls, e.g. with ``changes`` to a
    role), then recompute its ancestors. Keyword arguments as for `fork_tree`."""
    return await fork_tree(store, transcript_id, node, "rerun", **kw)


def plan_fork(
    original: TranscriptView, node: str, kind: Kind, answer: str | None = None
) -> tuple[list[Turn], ForkPlan]:
    """The turns a fork starts from (renumbered 0…n-1) and what it changes."""
    nodes = tree_from_turns(original.item.question, original.turns)
    if node not in nodes:
        raise ExperimentError(f"no node {node!r} in transcript {original.id}")
    if kind == "edit" and node == ROOT:
        raise ExperimentError("the root has no ancestors to recompute: edit a subquestion")
    recompute = ancestors(node)
    for above in recompute:
        if nodes[above].edited:
            raise ExperimentError(
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


async def fork_tree(
    store: Store,
    transcript_id: str,
    node: str,
    kind: Kind,
    options: RunOptions | None = None,
    *,
    answer: str | None = None,
    changes: dict[str, Any] | None = None,
    **fields: Any,
) -> TreeFork:
    """Fork an amplification transcript at ``node`` as a new run (``config.parent`` names the
    original), with the original experiment plus ``changes`` (e.g. another decomposer);
    ``options`` (or its fields as keywords) say how to run."""
    original, run = load_original(store, transcript_id)
    if run.protocol != Amplification.name:
        raise ExperimentError(f"transcript {transcript_id} is {run.protocol}, not amplification")
    copied, plan = plan_fork(original, node, kind, answer)
    label = f"{'edit' if kind == 'edit' else 're-run'} of node {node} of {original.item.id}"
    experiment = forked_experiment(run, original, changes, label)

    def setup(protocol: Protocol) -> None:
        assert isinstance(protocol, Amplification)
        protocol.plan = plan

    parent = {"transcript": transcript_id, "run": run.id, "kind": kind, "node": node}
    summary, new_id = await run_linked(
        store, original, experiment, parent, copied, run_options(options, **fields),
        cache=kind == "edit", setup=setup,
    )  # fmt: skip
    return TreeFork(summary, new_id)
