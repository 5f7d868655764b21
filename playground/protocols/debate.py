"""Two-sided debate (Irving et al. 2018; Khan et al. 2024): two debaters defend opposite answers
over R rounds, then a judge who has not seen the passage picks one with a credence."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..records import Assignment, Item, Turn
from .base import Protocol, TranscriptContext
from .verdicts import parse_verdict

LABELS = ("A", "B")
SEATS = ("debater_a", "debater_b")


class DebateOptions(BaseModel):
    """Options of the ``debate`` protocol (the ``[options]`` table of an experiment file)."""

    model_config = ConfigDict(extra="forbid")

    rounds: int = Field(3, ge=1, le=20, description="Rounds; each debater speaks once per round.")
    swap_positions: bool = Field(
        False,
        description="Also run each item with the answers (and so the debaters) swapped, "
        "to measure the judge's position bias.",
    )
    turn_order: Literal["simultaneous"] = Field(
        "simultaneous",
        description="simultaneous: in each round both debaters speak without seeing the "
        "other's speech of that round.",
    )


async def gather_turns(*calls: Coroutine[Any, Any, Turn]) -> list[Turn]:
    """Run calls together; if one fails the others are cancelled and its error is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return [task.result() for task in tasks]


def render_transcript(turns: list[Turn]) -> str:
    """Debater speeches as the judge and the debaters read them."""
    lines: list[str] = []
    for turn in sorted(turns, key=lambda t: t.index):
        if turn.role not in SEATS:
            continue
        if not lines or lines[-1] != f"Round {turn.round}":
            lines.append(f"Round {turn.round}")
        lines.append(f"Debater {LABELS[SEATS.index(turn.role)]}: {turn.content.strip()}")
    return "\n".join(lines) if lines else "(no arguments yet)"


class Debate(Protocol):
    name = "debate"
    roles = ("debater_a", "debater_b", "judge")
    prompts: ClassVar[dict[str, str]] = {
        "debater_a": "debate/debater",
        "debater_b": "debate/debater",
        "judge": "debate/judge",
    }
    Options = DebateOptions
    options: DebateOptions

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        wrong = [i for i in range(len(item.answers)) if i != item.correct]
        pair = [item.correct, rng.choice(wrong)]
        rng.shuffle(pair)  # which seat holds the true answer is balanced across items
        first, second = pair
        plans = [Assignment(seats={"debater_a": first, "debater_b": second}, display_order=pair)]
        if self.options.swap_positions:
            plans.append(
                Assignment(
                    seats={"debater_a": second, "debater_b": first},
                    display_order=[second, first],
                    swapped=True,
                )
            )
        return plans

    async def run(self, ctx: TranscriptContext) -> None:
        item, seats = ctx.item, ctx.assignment.seats
        for round_ in range(1, self.options.rounds + 1):
            so_far = render_transcript(ctx.turns)  # simultaneous: nobody sees this round's speeches
            calls = []
            for seat, label in zip(SEATS, LABELS, strict=True):
                other = SEATS[1 - SEATS.index(seat)]
                prompt = ctx.seats[seat].prompt
                assert prompt is not None
                messages = prompt.render(
                    name=label,
                    question=item.question,
                    my_answer=item.answers[seats[seat]],
                    other_answer=item.answers[seats[other]],
                    passage=item.passage or "(none)",
                    transcript=so_far,
                    round=round_,
                    rounds=self.options.rounds,
                )
                calls.append(ctx.call(seat, messages, round=round_, index=ctx.reserve_index()))
            await gather_turns(*calls)
        await self.judge(ctx)

    async def judge(self, ctx: TranscriptContext) -> None:
        shown = ctx.assignment.display_order
        prompt = ctx.seats["judge"].prompt
        assert prompt is not None
        messages = prompt.render(
            question=ctx.item.question,
            answer_a=ctx.item.answers[shown[0]],
            answer_b=ctx.item.answers[shown[1]],
            transcript=render_transcript(ctx.turns),
        )
        turn = await ctx.call("judge", messages)
        verdict = parse_verdict(turn.content, shown, len(ctx.item.answers), LABELS)
        ctx.verdict(verdict.model_copy(update={"turn_index": turn.index, "role": "judge"}))
