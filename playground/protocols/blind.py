"""The blind baseline: the judge answers from the question and the answers alone, with no
argument at all. Every other protocol's accuracy means something only next to this one."""

from __future__ import annotations

import random
from typing import ClassVar

from ..records import Assignment, Item
from .base import Protocol, TranscriptContext
from .judged_meta import JUDGED_METAS
from .judged_spec import JUDGE_REPLIES, JUDGE_STYLES, PANEL_FIELDS, transcripts
from .judging import JudgedOptions, answer_pair, judge_panel, orders
from .registry import register
from .spec import ProtocolInfo


class BlindOptions(JudgedOptions):
    """Options of ``blind``: position swap and a judge panel."""


@register
class Blind(Protocol[BlindOptions]):
    name = "blind"
    roles = ("judge",)
    prompts: ClassVar[dict[str, str]] = {"judge": "blind/judge"}
    Options = BlindOptions
    info = ProtocolInfo(
        label="Blind baseline",
        summary="The judge answers from the question and the answers alone, with no argument: "
        "the baseline every other protocol is compared with.",
        page="debate",
        menu_order=50,
        seat_styles=JUDGE_STYLES,
        form=PANEL_FIELDS,
    )
    replies = JUDGE_REPLIES
    turn_metas = JUDGED_METAS
    reads_verdict_modes = True

    @classmethod
    def seats(cls, options: BlindOptions) -> tuple[str, ...]:
        return tuple(options.judges)

    @classmethod
    def expected_calls(cls, options: BlindOptions) -> int:
        return transcripts(options) * len(options.judges)

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={}, display_order=order, swapped=swapped)
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        await judge_panel(ctx, self.options.judges)
