"""The approval lab's protocol (``approval`` in an experiment file): episodes in an environment
with ground truth, an ``agent`` proposing each step, approval sources rating each step before
it is carried out, and the environment's true step values and outcome recorded beside them.

One item (a task) is one transcript. Its turns: per step the agent's proposal
(``meta.kind = "step"``), each source's arguments and rating (``argument``, ``approval``), and
the environment's result (role ``environment``, ``meta.kind = "step_result"``: true value,
good, valid, detail); at the end the outcome (``meta.kind = "outcome"``). Its verdicts, written
when the episode ends: one per step and source, role = the source, ``metrics`` = the approval
row (see `approval_metrics`). An episode cut short leaves no verdicts, so a resumed run plays
it again (the response cache makes the replay free).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...approval.envs import ENVIRONMENTS, Outcome, StepResult, get_environment
from ...records import Assignment, Item, Verdict
from ..base import Protocol, TranscriptContext
from ..registry import register
from ..spec import ProtocolInfo, ReplyKind
from .meta import TURN_METAS, ApprovalMetrics
from .report import SECTION
from .sources import SEATS, SOURCES, Rating, Source, StepView, rate

ENVIRONMENT = "environment"
"""Role and model string of the turns the environment itself writes (results, outcome)."""


class ApprovalOptions(BaseModel):
    """Options of ``approval`` (the ``[options]`` table of an experiment)."""

    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(
        default_factory=lambda: list[Source](["outcome", "myopic_overseer"]),
        min_length=1,
        description="Approval sources rating every step: outcome, myopic_overseer, "
        "debate_overseer, consultant_overseer.",
    )
    overseer_rounds: int = Field(
        1, ge=1, le=5, description="Rounds of argument per step for debate/consultant overseers."
    )
    consultant_side: Literal["approve", "reject"] = Field(
        "approve",
        description="The side the consultant argues: approve (the agent's advocate) or reject.",
    )

    @field_validator("sources")
    @classmethod
    def _distinct(cls, sources: list[Source]) -> list[Source]:
        if len(set(sources)) != len(sources):
            raise ValueError("a source is listed twice")
        return sources


def approval_metrics(
    source: str,
    view: StepView,
    result: StepResult,
    outcome: Outcome,
    environment: str,
    approval: float | None,
    rationale: str | None,
    cost_usd: float | None,
) -> dict[str, Any]:
    """The row an approval verdict carries: the same shape for every source, and the one the
    approval export and metrics read."""
    return {
        "kind": "approval",
        "environment": environment,
        "source": source,
        "step": view.number,
        "step_name": view.name,
        "state": view.observation,
        "instruction": view.instruction,
        "proposal": view.proposal,
        "approval": approval,
        "rationale": rationale,
        "cost_usd": cost_usd,
        "true_value": result.true_value,
        "good": result.good,
        "valid": result.valid,
        "detail": result.detail,
        "outcome": {
            "reward": outcome.reward, "success": outcome.success, "hacked": outcome.hacked,
            "detail": outcome.detail,
        },
    }  # fmt: skip


def source_cost(ctx: TranscriptContext, source: str, step: int) -> float | None:
    """What a source's calls about one step cost (arguments and rating); None if any call
    reported no cost; 0 for ``outcome``, which makes none."""
    if source == "outcome":
        return 0.0
    costs = [t.cost_usd for t in ctx.turns if t.meta.get("source") == source
             and t.meta.get("step") == step]  # fmt: skip
    if not costs or any(c is None for c in costs):
        return None
    return float(sum(c for c in costs if c is not None))


@register
class Approval(Protocol[ApprovalOptions]):
    name = "approval"
    roles = ("agent",)
    prompts: ClassVar[dict[str, str]] = {
        "agent": "approval/agent",
        "overseer": "approval/overseer",
        "debater_a": "debate/debater",
        "debater_b": "debate/debater",
        "consultant": "consultancy/consultant",
        "judge": "approval/judge",
    }
    verdict_role = "agent"
    needs_truth = False
    Options = ApprovalOptions
    info = ProtocolInfo(
        label="Approval lab",
        summary="An agent proposes each step of an episode with ground truth; approval sources "
        "rate every step before it is carried out.",
        page="approval",
    )
    replies: ClassVar[dict[str, ReplyKind]] = {"overseer": "approval", "judge": "approval"}
    sections = (SECTION,)
    measurements = (ApprovalMetrics,)
    turn_metas = TURN_METAS

    @classmethod
    def seats(cls, options: ApprovalOptions) -> tuple[str, ...]:
        seats = ["agent", *(s for source in options.sources for s in SEATS[source])]
        return tuple(dict.fromkeys(seats))

    def check_items(self, items: Any) -> None:
        for item in items:
            env = item.meta.get("environment")
            if env not in ENVIRONMENTS:
                raise ValueError(
                    f"item {item.id!r} is not an approval task (use builtin:tdd or "
                    f"builtin:shortcut; environments: {', '.join(ENVIRONMENTS)})"
                )

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [Assignment(seats={}, display_order=[], condition=item.meta["environment"])]

    async def run(self, ctx: TranscriptContext) -> None:
        env_name = ctx.item.meta["environment"]
        episode = await asyncio.to_thread(get_environment(env_name).episode, ctx.item)
        overseers = [s for s in self.options.sources if s != "outcome"]
        steps: list[tuple[StepView, StepResult, list[Rating]]] = []
        agent = ctx.seats["agent"].prompt
        assert agent is not None
        number = 0
        while (spec := episode.next_step()) is not None:
            number += 1
            observation = episode.observation()
            meta = {"kind": "step", "step": number, "step_name": spec.name}
            messages = agent.render(observation=observation, instruction=spec.instruction)
            proposal = await ctx.call("agent", messages, meta=meta)
            view = StepView(number, spec.name, observation, spec.instruction, proposal.content)
            ratings = await asyncio.gather(
                *(
                    rate(ctx, s, view, self.options.overseer_rounds, self.options.consultant_side)
                    for s in overseers
                )
            )
            result = await asyncio.to_thread(episode.apply, proposal.content)
            ctx.note_turn(
                ENVIRONMENT,
                f"step {number} ({spec.name}): true value {result.true_value:.3g}"
                + ("" if result.valid else " (unreadable step)"),
                model=ENVIRONMENT,
                meta={"kind": "step_result", "step": number, "true_value": result.true_value,
                      "good": result.good, "valid": result.valid, "detail": result.detail},
            )  # fmt: skip
            steps.append((view, result, list(ratings)))
        outcome = await asyncio.to_thread(episode.outcome)
        ctx.note_turn(
            ENVIRONMENT,
            f"outcome: reward {outcome.reward:.3g}, success {outcome.success}, "
            f"hacked {outcome.hacked}",
            model=ENVIRONMENT,
            meta={"kind": "outcome", "reward": outcome.reward, "success": outcome.success,
                  "hacked": outcome.hacked, "detail": outcome.detail},
        )  # fmt: skip
        for view, result, ratings in steps:
            if "outcome" in self.options.sources:
                ratings = [Rating("outcome", outcome.reward, "the episode's outcome reward", ""),
                           *ratings]  # fmt: skip
            for r in ratings:
                metrics = approval_metrics(
                    r.source,
                    view,
                    result,
                    outcome,
                    env_name,
                    r.approval,
                    r.rationale,
                    source_cost(ctx, r.source, view.number),
                )
                ctx.verdict(
                    Verdict(
                        status="ok" if r.approval is not None else "unparseable",
                        raw=r.raw,
                        reason=r.reason,
                        role=r.source,
                        turn_index=r.turn_index,
                        metrics=metrics,
                    )
                )


__all__ = ["SOURCES", "Approval", "ApprovalOptions"]
