"""Consultancy (Michael et al. 2023; Khan et al. 2024): one consultant argues for an assigned
answer over R rounds while the judge may question it. Every item runs with the consultant on
the true answer and on the wrong one (``assignment.condition`` says which), so accuracy can be
reported for both halves. ``open_consultancy``: the consultant picks its side."""

from __future__ import annotations

import random
from typing import ClassVar

from pydantic import Field

from ..records import Assignment, Item
from .base import Protocol, TranscriptContext
from .judged_meta import JUDGED_METAS
from .judged_spec import (
    CONSULTANT_STYLES,
    JUDGE_REPLIES,
    JUDGE_STYLES,
    calls_per_transcript,
    round_fields,
    transcripts,
)
from .judging import (
    RoundOptions,
    answer_pair,
    argue,
    choose_side,
    done,
    judge_panel,
    judge_question,
    orders,
    render_transcript,
    seats_with_judges,
)
from .registry import register
from .spec import ProtocolInfo

CORRECT, INCORRECT, OPEN = "consultant_correct", "consultant_incorrect", "open"


class ConsultancyOptions(RoundOptions):
    """Options of ``consultancy`` and ``open_consultancy``."""

    interactive_judge: bool = Field(
        True,
        description="After each round but the last, the first judge asks the consultant a "
        "question (meta.kind = 'question').",
    )


@register
class Consultancy(Protocol[ConsultancyOptions]):
    name = "consultancy"
    roles = ("consultant", "judge")
    prompts: ClassVar[dict[str, str]] = {
        "consultant": "consultancy/consultant",
        "judge": "consultancy/judge",
        "selector": "debate/selector",
    }
    Options = ConsultancyOptions
    info = ProtocolInfo(
        label="Consultancy",
        summary="One consultant argues for an assigned answer, once for the true answer and "
        "once for the wrong one; the judge, who has not read the passage, may question it.",
        page="debate",
        menu_order=30,
        seat_styles={**CONSULTANT_STYLES, **JUDGE_STYLES},
        form=round_fields("The consultant speaks"),
        conditions={
            CORRECT: "the consultant argued for the true answer",
            INCORRECT: "the consultant argued for the wrong answer",
        },
        argues=True,
    )
    replies = JUDGE_REPLIES
    turn_metas = JUDGED_METAS
    reads_verdict_modes = True

    @classmethod
    def seats(cls, options: ConsultancyOptions) -> tuple[str, ...]:
        return seats_with_judges(("consultant",), options)

    @classmethod
    def expected_calls(cls, options: ConsultancyOptions) -> int:
        # the consultant on the true answer and on the wrong one
        per = calls_per_transcript(options, 1, options.interactive_judge, chooses=False)
        return 2 * transcripts(options) * per

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        plans = []
        for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions):
            for answer in sorted(order, key=lambda i: i != item.correct):  # true answer first
                condition = CORRECT if answer == item.correct else INCORRECT
                plans.append(
                    Assignment(
                        seats={"consultant": answer},
                        display_order=order,
                        swapped=swapped,
                        condition=condition,
                    )
                )
        return plans

    async def run(self, ctx: TranscriptContext) -> None:
        await self.choose(ctx)
        rounds = self.options.rounds
        prompt = ctx.seats["consultant"].prompt
        assert prompt is not None
        quotes = self.options.quotes
        mine = ctx.assignment.seats["consultant"]
        other = next(i for i in ctx.assignment.display_order if i != mine)
        for round_ in range(1, rounds + 1):
            if not done(ctx, "consultant", round_):  # a fork continues from copied turns
                messages = prompt.render(
                    question=ctx.item.question,
                    my_answer=ctx.item.answers[mine],
                    other_answer=ctx.item.answers[other],
                    passage=ctx.item.passage or "(none)",
                    transcript=render_transcript(ctx, quotes=quotes),
                    round=round_,
                    rounds=rounds,
                )
                await argue(
                    ctx, "consultant", messages, round_, self.options, ctx.item.answers[mine]
                )
            if round_ < rounds:
                if self.options.judge_each_round:
                    await judge_panel(ctx, self.options.judges, interim_round=round_, quotes=quotes)
                if self.options.interactive_judge:
                    await judge_question(ctx, self.options.judges[0], round_, rounds, quotes)
        await judge_panel(ctx, self.options.judges, quotes=quotes)

    async def choose(self, ctx: TranscriptContext) -> None:
        """Closed consultancy: the side is assigned. Open consultancy overrides this."""


@register
class OpenConsultancy(Consultancy):
    """The consultant chooses the answer it argues for; its choice is on its first turn."""

    name = "open_consultancy"
    info = Consultancy.info.model_copy(
        update={
            "label": "Open consultancy",
            "summary": "The consultant chooses which answer to argue for; the judge may "
            "question it.",
            "menu_order": 40,
        }
    )

    @classmethod
    def expected_calls(cls, options: ConsultancyOptions) -> int:
        per = calls_per_transcript(options, 1, options.interactive_judge, chooses=True)
        return transcripts(options) * per

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={}, display_order=order, swapped=swapped, condition=OPEN)
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def choose(self, ctx: TranscriptContext) -> None:
        chosen = await choose_side(ctx, "consultant")
        ctx.assignment = ctx.assignment.model_copy(update={"seats": {"consultant": chosen}})
