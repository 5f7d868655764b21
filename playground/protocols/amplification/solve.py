"""Growing, answering and recombining one amplification tree inside a transcript.

Two coroutines run at once. `TreeRun.expand` grows the tree level by level: every node of a
level that may be decomposed is decomposed at the same time, and budgets are settled in node-id
order, so the same replies always give the same tree. `TreeRun.solve` answers leaves as soon as
they are known and recombines a node as soon as all its subquestions are answered (siblings run
concurrently); each recombined node's checks then run in the background while the tree goes on.

A fork (an edit, a subtree re-run, ``playground fork``) starts with copied turns: a node whose
decomposition or answer was copied uses it and is not called again, and a recombination is
redone only when one of its subanswers is new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ...records import Turn
from ..base import TranscriptContext
from ..concurrency import together
from ..verdicts import parse_verdict
from . import checks, messages
from .parsing import Decomposition, parse_decomposition, short_answer
from .tree import ROOT, CallBudget, Node, child_id, iter_meta, node_meta
from .turns import NodeMeta

Key = tuple[str, str, str | None]


def index_turns(turns: list[Turn]) -> dict[Key, Turn]:
    """(node, step, check) → the latest good turn for it."""
    found: dict[Key, Turn] = {}
    for turn, meta in iter_meta(turns):
        if turn.error is None:
            found[(meta.node, meta.step or "", meta.check)] = turn
    return found


class TreeRun:
    """One tree: its nodes, its call budget, and the turns that answer each node."""

    def __init__(self, ctx: TranscriptContext, options: Any, reuse: Mapping[str, Turn]) -> None:
        self.ctx, self.options, self.reuse = ctx, options, reuse
        self.budget = CallBudget(options.max_calls, options.max_branching)
        self.nodes: dict[str, Node] = {ROOT: Node(ROOT, ctx.item.question)}
        self.ready: dict[str, asyncio.Event] = {ROOT: asyncio.Event()}
        self.answers: dict[str, Turn] = {}
        """The turn holding each node's answer (answer, recombine or edit)."""
        self.checked: dict[tuple[str, str], Turn] = {}
        self.fresh: set[str] = set()
        """Nodes whose answer is new in this transcript: their parents are recombined again."""
        self.copied = index_turns(ctx.turns)
        self._checks: asyncio.TaskGroup | None = None

    async def run(self) -> Node:
        """Grow and answer the tree; returns the root once every check has finished too."""
        try:
            async with asyncio.TaskGroup() as group:
                self._checks = group
                await together(self.expand(), self.solve(ROOT))
        except BaseExceptionGroup as error:
            raise error.exceptions[0] from None
        return self.nodes[ROOT]

    # -- reading answers ----------------------------------------------------------------------

    def read(self, node_id: str, text: str) -> dict[str, Any]:
        """A reply that answers a node: its short answer; at the root, the option it chose."""
        if node_id == ROOT:
            item, shown = self.ctx.item, self.ctx.assignment.display_order
            verdict = parse_verdict(text, shown, len(item.answers), messages.LABELS)
            short = item.answers[verdict.choice] if verdict.choice is not None else None
            return {"status": verdict.status, "choice": verdict.choice, "short": short}
        short = short_answer(text)
        return {"status": "ok" if short else "unparseable", "short": short}

    def settle_answer(self, node: Node, turn: Turn, fresh: bool) -> None:
        meta = NodeMeta.model_validate(turn.meta)
        node.answer, node.short, node.answer_turn = turn.content, meta.short, turn.index
        node.edited = meta.step == "edit"
        self.answers[node.id] = turn
        if fresh:
            self.fresh.add(node.id)

    # -- growing ------------------------------------------------------------------------------

    def leaf(self, node: Node, budget: Any = None) -> None:
        node.budget = budget
        self.ready[node.id].set()

    async def expand(self) -> None:
        frontier = [ROOT]
        while frontier:
            planned: list[tuple[Node, Turn | None]] = []
            for node_id in frontier:
                node = self.nodes[node_id]
                copied = self.copied.get((node_id, "decompose", None))
                earlier = self.copied.get((node_id, "answer", None))
                if (node_id, "edit", None) in self.copied:
                    self.leaf(node)  # answered by a person: nothing below it is asked again
                elif copied is None and earlier is not None:
                    self.leaf(node, NodeMeta.model_validate(earlier.meta).budget)
                elif copied is not None:
                    self.budget.reserve_decomposition(force=True)
                    planned.append((node, copied))
                elif node.depth >= self.options.max_depth:
                    self.leaf(node, "depth")
                elif not self.budget.reserve_decomposition():
                    self.leaf(node, "calls")
                else:
                    planned.append((node, None))
            results = await together(*(self.decompose(node, turn) for node, turn in planned))
            frontier = []
            for (node, _), (decomposition, budget) in zip(planned, results, strict=True):
                if decomposition.is_leaf or budget:
                    self.budget.settle(0)
                    self.leaf(node, budget)
                    continue
                self.budget.settle(len(decomposition.subquestions))
                for number, question in enumerate(decomposition.subquestions, 1):
                    child = Node(child_id(node.id, number), question)
                    self.nodes[child.id], self.ready[child.id] = child, asyncio.Event()
                    node.children.append(child.id)
                    frontier.append(child.id)
                self.ready[node.id].set()

    async def decompose(self, node: Node, copied: Turn | None) -> tuple[Decomposition, Any]:
        """The node's decomposition and the budget it hit (branching: too many subquestions)."""
        if copied is None:
            branching = self.options.max_branching

            def annotate(text: str) -> dict[str, Any]:
                found = parse_decomposition(text)
                meta: dict[str, Any] = {
                    "decomposition": found.status,
                    "subquestions": found.subquestions,
                }
                if found.reason:
                    meta["reason"] = found.reason
                if found.status == "ok" and len(found.subquestions) > branching:
                    meta["budget"] = "branching"
                return meta

            copied = await self.ctx.call(
                "decomposer",
                messages.decompose(self.ctx, node, branching),
                meta=node_meta(node.id, "decompose"),
                annotate=annotate,
            )
        meta = NodeMeta.model_validate(copied.meta)
        found = Decomposition(meta.decomposition or "unparseable", list(meta.subquestions or []))
        node.decomposition = found.status
        return found, meta.budget

    # -- answering ----------------------------------------------------------------------------

    async def solve(self, node_id: str) -> None:
        await self.ready[node_id].wait()
        node = self.nodes[node_id]
        edit = self.copied.get((node_id, "edit", None))
        if edit is not None:
            self.settle_answer(node, edit, fresh=not NodeMeta.model_validate(edit.meta).copied)
            return
        if node.is_leaf:
            await self.answer(node)
            return
        await together(*(self.solve(child) for child in node.children))
        copied = self.copied.get((node_id, "recombine", None))
        if copied is not None and not any(c in self.fresh for c in node.children):
            self.settle_answer(node, copied, fresh=False)
        else:
            children = [self.nodes[c] for c in node.children]
            turn = await self.ctx.call(
                "recombiner",
                messages.recombine(self.ctx, node, children),
                meta=node_meta(node_id, "recombine", children=node.children),
                annotate=lambda text: self.read(node_id, text),
            )
            self.settle_answer(node, turn, fresh=True)
        assert self._checks is not None
        self._checks.create_task(self.check(node))

    async def answer(self, node: Node) -> None:
        copied = self.copied.get((node.id, "answer", None))
        if copied is not None:
            self.settle_answer(node, copied, fresh=False)
            return
        turn = await self.ctx.call(
            "answerer",
            messages.answer(self.ctx, node),
            meta=node_meta(node.id, "answer", budget=node.budget),
            annotate=lambda text: self.read(node.id, text),
        )
        self.settle_answer(node, turn, fresh=True)

    async def check(self, node: Node) -> None:
        """Run the node's checks that it does not already have (a fork copies those of a node
        whose recombination it kept); the root always gets its direct answer."""
        wanted = list(self.options.checks)
        if node.id == ROOT and "direct" not in wanted:
            wanted.append("direct")
        children = [self.nodes[c] for c in node.children]
        fresh = node.id in self.fresh

        def read(text: str) -> dict[str, Any]:
            return self.read(node.id, text)

        async def one(name: str) -> None:
            copied = self.copied.get((node.id, "check", name))
            if copied is not None and not fresh:
                self.checked[(node.id, name)] = copied
                return
            if name == "justification":
                turn = await checks.justification(self.ctx, node, children)
            elif name == "resample":
                turn = await checks.resample(self.ctx, node, children, self.options.resample, read)
            else:
                turn = await checks.direct(self.ctx, node, read, self.reuse.get(node.id) or copied)
            self.checked[(node.id, name)] = turn

        await together(*(one(name) for name in wanted))
