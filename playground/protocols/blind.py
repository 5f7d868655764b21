"""The blind baseline: the judge answers from the question and the answers alone, with no
argument at all. Every other protocol's accuracy means something only next to this one."""

from __future__ import annotations

import random
from typing import ClassVar

from pydantic import BaseModel

from ..records import Assignment, Item
from .base import Protocol, TranscriptContext
from .judging import JudgedOptions, answer_pair, judge_panel, orders


class BlindOptions(JudgedOptions):
    """Options of ``blind``: position swap and a judge panel."""


class Blind(Protocol):
    name = "blind"
    roles = ("judge",)
    prompts: ClassVar[dict[str, str]] = {"judge": "blind/judge"}
    Options = BlindOptions
    options: BlindOptions

    @classmethod
    def seats(cls, options: BaseModel) -> tuple[str, ...]:
        return tuple(getattr(options, "judges", ["judge"]))

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        return [
            Assignment(seats={}, display_order=order, swapped=swapped)
            for order, swapped in orders(answer_pair(item, rng), self.options.swap_positions)
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        await judge_panel(ctx, self.options.judges)
