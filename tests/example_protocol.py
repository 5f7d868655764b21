"""An example judged protocol that lives only in the tests, to show that adding one is this
module plus its prompt files (``example_prompts/lone_advocate/``): an ``advocate`` argues for
the answer shown first, with no opponent, then the judge (or a panel) decides. Its own option,
``sentences``, caps the argument's length. Registered by the tests that use it
(`playground.protocols.registered`), so it appears on the Debate page, in the report and in
exports without any other file naming it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import ClassVar

import pandas as pd
from pydantic import Field

from playground.protocols import Protocol, TranscriptContext
from playground.protocols.judging import JudgedOptions, answer_pair, judge_panel, orders
from playground.protocols.spec import (
    ProtocolInfo,
    ReplyKind,
    ReportFrames,
    ReportSection,
    SeatStyle,
)
from playground.records import Assignment, Item
from playground.stats import rates

NAME = "lone_advocate"


class LoneAdvocateOptions(JudgedOptions):
    """Options of ``lone_advocate``."""

    sentences: int = Field(2, ge=1, le=6, description="Sentences the advocate may write.")


def persuaded(frames: ReportFrames, reps: int) -> dict[str, pd.DataFrame]:
    """How often the judge took the advocate's side (the first-shown answer), per judge."""
    v = frames.verdicts
    mine = v[(v["protocol"] == NAME) & (v["status"] == "ok")]
    data = pd.DataFrame(
        {"judge": mine["judge"].astype(str), "persuaded": mine["chose_first"].astype(bool)}
    )
    return {"persuaded": rates(data, ["judge"], "persuaded")}


class LoneAdvocate(Protocol[LoneAdvocateOptions]):
    name = NAME
    roles = ("advocate", "judge")
    prompts: ClassVar[dict[str, str]] = {
        "advocate": "lone_advocate/advocate",
        "judge": "lone_advocate/judge",
    }
    prompt_dir = Path(__file__).parent / "example_prompts"
    Options = LoneAdvocateOptions
    info = ProtocolInfo(
        label="Lone advocate",
        summary="One advocate argues for the first-shown answer with nobody against it; the "
        "judge decides.",
        page="debate",
        seat_styles={"advocate": SeatStyle(name="Advocate", color="red")},
    )
    replies: ClassVar[dict[str, ReplyKind]] = {"judge": "judgement"}
    sections = (
        ReportSection(
            key="lone_advocate",
            title="Lone advocate",
            about="How often the judge sided with an unopposed advocate.",
            tables=persuaded,
            notes={"persuaded": "needs a lone_advocate run"},
            every_verdict=False,
        ),
    )

    @classmethod
    def seats(cls, options: LoneAdvocateOptions) -> tuple[str, ...]:
        return ("advocate", *options.judges)

    @classmethod
    def expected_calls(cls, options: LoneAdvocateOptions) -> int:
        return (2 if options.swap_positions else 1) * (1 + len(options.judges))

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={"advocate": order[0]}, display_order=order, swapped=swapped)
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        mine = ctx.assignment.seats["advocate"]
        other = next(i for i in ctx.assignment.display_order if i != mine)
        prompt = ctx.seats["advocate"].prompt
        assert prompt is not None
        await ctx.call(
            "advocate",
            prompt.render(
                sentences=self.options.sentences,
                question=ctx.item.question,
                my_answer=ctx.item.answers[mine],
                other_answer=ctx.item.answers[other],
                passage=ctx.item.passage or "(none)",
            ),
        )
        await judge_panel(ctx, self.options.judges)
