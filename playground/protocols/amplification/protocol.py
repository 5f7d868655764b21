"""Recursive amplification (Christiano et al. 2018; factored cognition): a question is split into
subquestions, recursively, the leaves are answered, and answers are recombined upward, with
checks at every internal node. ``amplification`` in an experiment file.

The root sees the item's two answers in the assignment's display order; its recombination is
the transcript's ``recombiner`` verdict (the amplified answer) and its direct answer, from the
answerer without subquestions, a second verdict with role ``direct``, so both are scored alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...records import Assignment, Item, Turn, Verdict
from ..base import Protocol, TranscriptContext
from ..judging import answer_pair, orders
from ..registry import register
from ..spec import ProtocolInfo, ReplyKind
from ..verdicts import parse_verdict
from . import messages
from .parsing import short_answer
from .report import SECTION
from .solve import TreeRun
from .tree import ROOT, Node, node_meta
from .turns import TURN_METAS

Check = Literal["justification", "resample", "direct"]
ALL_CHECKS: tuple[Check, ...] = ("justification", "resample", "direct")


class AmplificationOptions(BaseModel):
    """Options of ``amplification`` (the ``[options]`` table of an experiment)."""

    model_config = ConfigDict(extra="forbid")

    max_depth: int = Field(
        2,
        ge=0,
        le=6,
        description="Subquestions nest at most this deep (the root is depth 0); a node at this "
        "depth is answered directly, marked budget 'depth'.",
    )
    max_branching: int = Field(
        3,
        ge=2,
        le=8,
        description="At most this many subquestions per node; a decomposition with more is not "
        "used and the node is answered directly, marked budget 'branching'.",
    )
    max_calls: int = Field(
        40,
        ge=1,
        le=5000,
        description="Calls the tree itself may make (decompose, answer, recombine; checks are "
        "extra). A node is decomposed only if the calls it may need are free, else it is "
        "answered directly, marked budget 'calls'.",
    )
    checks: list[Check] = Field(
        default_factory=lambda: list(ALL_CHECKS),
        description="Checks run at every internal node: justification, resample, direct. The "
        "root always gets its direct answer (the 'direct' verdict).",
    )
    resample: Literal["shuffle", "sample"] = Field(
        "shuffle",
        description="The resample check recombines again with the subquestions shuffled, or "
        "in the same order as a second sample (useful only at a temperature above 0: set "
        "[roles.recombiner_resample]).",
    )
    swap_positions: bool = Field(
        False, description="Also run each item with the two answers shown in the other order."
    )

    @field_validator("checks")
    @classmethod
    def _unique(cls, checks: list[str]) -> list[str]:
        if len(set(checks)) != len(checks):
            raise ValueError("a check is listed twice")
        return checks


@dataclass
class ForkPlan:
    """What a fork of a tree changes (see `edits`): answers replaced by hand, and direct answers
    of recomputed ancestors to record again rather than ask again."""

    edits: list[tuple[str, str, int | None]] = field(default_factory=list)
    """(node, new answer, index of the copied turn that held the old one)."""
    reuse: dict[str, Turn] = field(default_factory=dict)


@register
class Amplification(Protocol[AmplificationOptions]):
    name = "amplification"
    roles = ("decomposer", "answerer", "recombiner", "checker")
    prompts: ClassVar[dict[str, str]] = {
        "decomposer": "amplification/decomposer",
        "answerer": "amplification/answerer",
        "recombiner": "amplification/recombiner",
        "checker": "amplification/checker",
    }
    verdict_role = "recombiner"
    Options = AmplificationOptions
    info = ProtocolInfo(
        label="Amplification",
        summary="A question is split into subquestions, recursively; the leaves are answered "
        "and the answers recombined upward, with checks at every internal node.",
        page="amplification",
    )
    replies: ClassVar[dict[str, ReplyKind]] = {"checker": "judgement"}
    sections = (SECTION,)
    turn_metas = TURN_METAS

    def __init__(self, options: AmplificationOptions) -> None:
        super().__init__(options)
        self.plan = ForkPlan()

    @classmethod
    def seats(cls, options: AmplificationOptions) -> tuple[str, ...]:
        """The four roles, plus ``recombiner_resample`` (inheriting ``[roles.recombiner]`` key
        by key) when the resample check is on."""
        resample = "resample" in options.checks
        return (*cls.roles, *(("recombiner_resample",) if resample else ()))

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={}, display_order=order, swapped=swapped)
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        for node_id, text, edited_from in self.plan.edits:
            role = "answerer" if edited_from is None else self._role_of(ctx, edited_from)
            short = short_answer(text) or " ".join(text.split())
            meta = node_meta(node_id, "edit", short=short, edited_from=edited_from)
            ctx.human_turn(role, text, meta=meta)
        tree = TreeRun(ctx, self.options, self.plan.reuse)
        root = await tree.run()
        self.record_verdicts(ctx, tree, root)

    @staticmethod
    def _role_of(ctx: TranscriptContext, index: int) -> str:
        return next((t.role for t in ctx.turns if t.index == index), "answerer")

    def record_verdicts(self, ctx: TranscriptContext, tree: TreeRun, root: Node) -> None:
        """The amplified answer (role ``recombiner``) and the direct one (role ``direct``).

        Each points at the turn that produced it: the root's recombination, and the root's
        ``direct`` check turn (``meta.verdict = "direct"``), or the root's answer for both when
        the root was answered without subquestions. (A record leaves out the other verdicts'
        turns, so the amplified record holds the tree but the root's direct answer, which is in
        the direct record; `summarize` and the tree view read a transcript's turns whole.)
        """
        shown, n = ctx.assignment.display_order, len(ctx.item.answers)
        turn = tree.answers[ROOT]
        amplified = parse_verdict(turn.content, shown, n, messages.LABELS)
        ctx.verdict(amplified.model_copy(update={"role": "recombiner", "turn_index": turn.index}))
        if root.is_leaf:
            ctx.verdict(amplified.model_copy(update={"role": "direct", "turn_index": turn.index}))
            return
        direct = tree.checked[(ROOT, "direct")]
        if direct.error:
            reason = f"direct turn {direct.index} failed: {direct.error}"
            ctx.verdict(
                Verdict(status="error", reason=reason, role="direct", turn_index=direct.index)
            )
            return
        verdict = parse_verdict(direct.content, shown, n, messages.LABELS)
        ctx.verdict(verdict.model_copy(update={"role": "direct", "turn_index": direct.index}))
