"""The amplification tree: nodes, the call budget, and the tree read back from a transcript's turns.

A node's id is its path: the root is ``1``, its subquestions ``1.1``, ``1.2``, theirs ``1.2.1``…,
so the same decomposition always gives the same ids (a fork finds its copied turns by them).
Every turn of an amplification transcript carries ``meta.node``, ``meta.parent``, ``meta.depth``
and ``meta.step``; `tree_from_turns` rebuilds the tree from those alone, for the page, the
export reader and the summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from ...records import Turn
from .turns import NodeMeta

ROOT = "1"
Step = Literal["decompose", "answer", "recombine", "check", "edit"]
BudgetHit = Literal["depth", "branching", "calls"]
CHECKS = ("justification", "resample", "direct")


def child_id(parent: str, number: int) -> str:
    """The id of a node's ``number``-th (1-based) subquestion."""
    return f"{parent}.{number}"


def parent_of(node: str) -> str | None:
    return node.rsplit(".", 1)[0] if "." in node else None


def depth_of(node: str) -> int:
    return node.count(".")


def node_meta(node: str, step: Step, **extra: Any) -> dict[str, Any]:
    """The ``meta`` every amplification turn carries, plus step-specific keys."""
    return {"node": node, "parent": parent_of(node), "depth": depth_of(node), "step": step} | extra


@dataclass
class CheckResult:
    """One check of one node, as recorded on its turn."""

    name: str
    status: str
    """ok, unparseable (the reply or an answer could not be read: never a pass) or error."""
    flagged: bool | None
    credence: float | None = None
    turn: int | None = None
    detail: str | None = None


@dataclass
class Node:
    """One question of the tree and what became of it."""

    id: str
    question: str = ""
    children: list[str] = field(default_factory=list)
    decomposition: str | None = None
    """ok, leaf, single or unparseable (see `parsing`), None if never asked."""
    answer: str | None = None
    """The reply that answers this node (a leaf's answer, a recombination, or a person's edit)."""
    short: str | None = None
    """The short answer passed up to the parent (at the root: the chosen label's answer)."""
    answer_turn: int | None = None
    budget: BudgetHit | None = None
    edited: bool = False
    error: str | None = None
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def parent(self) -> str | None:
        return parent_of(self.id)

    @property
    def depth(self) -> int:
        return depth_of(self.id)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def flagged(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.flagged]

    @property
    def status(self) -> str:
        """What a viewer sees: error, edited, answered, recombined, decomposed or waiting."""
        if self.error:
            return "error"
        if self.edited:
            return "edited"
        if self.answer is not None:
            return "answered" if self.is_leaf else "recombined"
        return "decomposed" if self.children else "waiting"


class CallBudget:
    """``max_calls`` for the tree's own calls (decompose, answer, recombine; checks are extra).

    Every node holds one call from the moment it exists (its answer or its recombination). A node
    may be decomposed only if 1 + max_branching more calls are free (the decomposition plus one
    for each possible subquestion, its own call becoming the recombination); what the
    decomposition does not use is given back. So the tree never exceeds ``max_calls``.
    """

    def __init__(self, max_calls: int, max_branching: int) -> None:
        self.max_calls, self.branching = max_calls, max_branching
        self.committed = 1  # the root's own call

    @property
    def free(self) -> int:
        return self.max_calls - self.committed

    def reserve_decomposition(self, force: bool = False) -> bool:
        """Hold the calls a decomposition may need; ``force`` for one already made (a fork)."""
        need = 1 + self.branching
        if not force and need > self.free:
            return False
        self.committed += need
        return True

    def settle(self, children: int) -> None:
        """Give back what a reserved decomposition did not use (it made ``children`` nodes)."""
        self.committed -= self.branching - children


def iter_meta(turns: Iterable[Turn]) -> Iterator[tuple[Turn, NodeMeta]]:
    """The amplification turns in order, each with its meta read (a malformed one is skipped)."""
    for turn in sorted(turns, key=lambda t: t.index):
        if NodeMeta.matches(turn.meta):
            try:
                yield turn, NodeMeta.model_validate(turn.meta)
            except ValidationError:
                continue


def tree_from_turns(question: str, turns: Iterable[Turn]) -> dict[str, Node]:
    """The tree as a transcript's turns record it, by node id in depth-first order; a later turn
    for the same node and step (a fork's recomputation, a person's edit) wins."""
    nodes: dict[str, Node] = {ROOT: Node(ROOT, question)}

    def get(node_id: str) -> Node:
        if node_id not in nodes:
            nodes[node_id] = Node(node_id)
        return nodes[node_id]

    for turn, meta in iter_meta(turns):
        node = get(meta.node)
        step = meta.step
        if turn.error and step != "check":
            node.error = turn.error
            continue
        if step == "decompose":
            node.decomposition = meta.decomposition
            subquestions = meta.subquestions or []
            if meta.decomposition == "ok" and meta.budget is None:
                node.children = [child_id(node.id, i) for i in range(1, len(subquestions) + 1)]
                for child, text in zip(node.children, subquestions, strict=True):
                    get(child).question = text
        elif step in ("answer", "recombine", "edit"):
            if node.edited and step != "edit":
                continue  # a recomputation below an edited node does not undo the edit
            node.answer, node.short, node.answer_turn = turn.content, meta.short, turn.index
            node.edited = step == "edit"
            if meta.has_budget:
                node.budget = meta.budget  # type: ignore[assignment]  # as recorded
            node.error = None
        elif step == "check":
            name = str(meta.check)
            status = str(meta.status) if "status" in meta.model_fields_set else "ok"
            node.checks[name] = CheckResult(
                name,
                "error" if turn.error else status,
                None if turn.error else meta.flagged,
                meta.credence,
                turn.index,
                meta.detail,
            )
    return dict(sorted(nodes.items(), key=lambda kv: [int(p) for p in kv[0].split(".")]))


def subtree(node: str, ids: Iterable[str]) -> set[str]:
    """``node`` and every id below it."""
    return {i for i in ids if i == node or i.startswith(node + ".")}


def ancestors(node: str) -> list[str]:
    """The ids above ``node``, nearest first, the root last."""
    found, current = [], parent_of(node)
    while current is not None:
        found.append(current)
        current = parent_of(current)
    return found
