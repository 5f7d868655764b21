"""Two-sided debate (Irving et al. 2018; Khan et al. 2024): two debaters defend opposite answers
over R rounds, then a judge (or a panel) who has not seen the passage picks one with a credence.
``open_debate``: debater A first picks the answer it argues for; B takes the other."""

from __future__ import annotations

import random
from typing import ClassVar, Literal

from pydantic import Field

from ..records import Assignment, Item
from .base import Protocol, TranscriptContext
from .judged_meta import JUDGED_METAS
from .judged_spec import (
    DEBATER_STYLES,
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
    label_of,
    orders,
    render_transcript,
    seats_with_judges,
    together,
)
from .registry import register
from .spec import ProtocolInfo

SEATS = ("debater_a", "debater_b")


class DebateOptions(RoundOptions):
    """Options of ``debate`` and ``open_debate`` (the ``[options]`` table of an experiment)."""

    turn_order: Literal["simultaneous", "sequential"] = Field(
        "simultaneous",
        description="simultaneous: in each round neither debater sees the other's speech of that "
        "round; sequential: debater A speaks first and B sees it.",
    )
    interactive_judge: bool = Field(
        False,
        description="After each round but the last, the first judge asks a question that both "
        "debaters see (meta.kind = 'question').",
    )


@register
class Debate(Protocol[DebateOptions]):
    name = "debate"
    roles = ("debater_a", "debater_b", "judge")
    prompts: ClassVar[dict[str, str]] = {
        "debater_a": "debate/debater",
        "debater_b": "debate/debater",
        "judge": "debate/judge",
        "selector": "debate/selector",
    }
    Options = DebateOptions
    info = ProtocolInfo(
        label="Debate",
        summary="Two debaters argue for opposite answers; a judge who has not read the passage "
        "picks one and gives a credence.",
        page="debate",
        menu_order=10,
        seat_styles={**DEBATER_STYLES, **JUDGE_STYLES},
        form=round_fields("Each debater speaks", turn_order=True),
        argues=True,
    )
    replies = JUDGE_REPLIES
    turn_metas = JUDGED_METAS
    reads_verdict_modes = True
    chooses: ClassVar[bool] = False
    """Whether debater A first chooses its side (one more call)."""

    @classmethod
    def seats(cls, options: DebateOptions) -> tuple[str, ...]:
        return seats_with_judges(SEATS, options)

    @classmethod
    def expected_calls(cls, options: DebateOptions) -> int:
        per = calls_per_transcript(options, len(SEATS), options.interactive_judge, cls.chooses)
        return transcripts(options) * per

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        # debater A defends the answer shown first, so a swap also swaps the debaters' sides
        return [
            Assignment(
                seats={"debater_a": order[0], "debater_b": order[1]},
                display_order=order,
                swapped=swapped,
            )
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        await self.choose(ctx)
        rounds = self.options.rounds
        for round_ in range(1, rounds + 1):
            todo = [seat for seat in SEATS if not done(ctx, seat, round_)]  # a fork copies some
            if self.options.turn_order == "simultaneous":
                before = [t for t in ctx.turns if t.round is None or t.round < round_]
                so_far = render_transcript(ctx, before, quotes=self.options.quotes)
                # best-of-N turns number their candidates as they come, so nothing is reserved
                if self.options.best_of_n == 1:
                    indices: list[int | None] = [ctx.reserve_index() for _ in todo]
                else:
                    indices = [None] * len(todo)
                await together(
                    *(
                        self.speak(ctx, s, round_, so_far, i)
                        for s, i in zip(todo, indices, strict=True)
                    )
                )
            else:
                for seat in todo:
                    so_far = render_transcript(ctx, quotes=self.options.quotes)
                    await self.speak(ctx, seat, round_, so_far)
            if round_ < rounds:
                await self.between_rounds(ctx, round_)
        await judge_panel(ctx, self.options.judges, quotes=self.options.quotes)

    async def choose(self, ctx: TranscriptContext) -> None:
        """Closed debate: sides are assigned. Open debate overrides this."""

    async def speak(
        self, ctx: TranscriptContext, seat: str, round_: int, so_far: str, index: int | None = None
    ) -> None:
        mine = ctx.assignment.seats[seat]
        other = ctx.assignment.seats[SEATS[1 - SEATS.index(seat)]]
        prompt = ctx.seats[seat].prompt
        assert prompt is not None
        messages = prompt.render(
            name=label_of(ctx.assignment, mine),
            question=ctx.item.question,
            my_answer=ctx.item.answers[mine],
            other_answer=ctx.item.answers[other],
            passage=ctx.item.passage or "(none)",
            transcript=so_far,
            round=round_,
            rounds=self.options.rounds,
        )
        await argue(ctx, seat, messages, round_, self.options, ctx.item.answers[mine], index)

    async def between_rounds(self, ctx: TranscriptContext, round_: int) -> None:
        if self.options.judge_each_round:
            await judge_panel(
                ctx, self.options.judges, interim_round=round_, quotes=self.options.quotes
            )
        if self.options.interactive_judge:
            await judge_question(
                ctx, self.options.judges[0], round_, self.options.rounds, self.options.quotes
            )


@register
class OpenDebate(Debate):
    """Debater A chooses the answer it argues for (recorded on its turn); B defends the other."""

    name = "open_debate"
    info = Debate.info.model_copy(
        update={
            "label": "Open debate",
            "summary": "Debater A first chooses the answer it will argue for; debater B "
            "defends the other.",
            "menu_order": 20,
        }
    )
    chooses = True

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={}, display_order=order, swapped=swapped, condition="open")
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def choose(self, ctx: TranscriptContext) -> None:
        chosen = await choose_side(ctx, "debater_a")
        other = next(i for i in ctx.assignment.display_order if i != chosen)
        ctx.assignment = ctx.assignment.model_copy(
            update={"seats": {"debater_a": chosen, "debater_b": other}}
        )
