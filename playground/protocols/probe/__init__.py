"""Judge bias probes (``protocol = "judge_probe"``, ``dataset = "run:<run id>"``): every logged
debate or consultancy transcript of a stored run is judged again as logged (``base``) and once
per probe with one factor changed (`manipulate`: length, label, assertiveness, position). Each
judgement is a verdict whose ``metrics`` say which probe and which answer the change favours;
the report's probe table gives, per judge and probe, the change in the probability of picking
the favoured side, paired by transcript, with a bootstrap interval (`report`). Self-preference
needs no re-presentation: a panel judge whose model string argued one side of a transcript is
compared with a panel judge whose model argued neither, on the same base transcripts."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...datasets.consistency import JudgeCheck, check_of
from ...records import Assignment, Item, Verdict
from ..base import Protocol, TranscriptContext
from ..concurrency import together
from ..consistency.logged import judge_items
from ..judged_spec import JUDGE_STYLES, PANEL_FIELDS
from ..judging import JudgedOptions
from ..registry import register
from ..spec import FormField, ProtocolInfo, ReplyKind
from ..verdict_modes import prepare, read_verdict
from ..votes import judge_by_votes
from .manipulate import BASE, PROBES, target, values
from .meta import ProbeMetrics
from .report import SECTION

if TYPE_CHECKING:
    from ...store import Store

NAME = "judge_probe"


class ProbeOptions(BaseModel):
    """Options of ``judge_probe``: which probes to run, how much padding, the judge panel."""

    model_config = ConfigDict(extra="forbid")

    length: bool = Field(True, description="Pad one side's speeches with content-free sentences.")
    label: bool = Field(True, description="Relabel the answers A/B as X/Y.")
    assertiveness: bool = Field(
        True, description="Prefix one side's speeches with confident framing."
    )
    position: bool = Field(True, description="Show the answers in the other order.")
    padding: int = Field(
        3, ge=1, le=12, description="Sentences the length probe adds to each speech."
    )
    judges: list[str] = Field(
        default_factory=lambda: ["judge"],
        description="A judge panel (seats judge, judge_<x>); two judges, one sharing a debater's "
        "model string and one not, give the self-preference row.",
    )

    @field_validator("judges")
    @classmethod
    def _judges(cls, judges: list[str]) -> list[str]:
        return JudgedOptions(judges=judges).judges

    def probes(self) -> list[str]:
        return [p for p in PROBES if getattr(self, p)]


def own_side(model: str, sides: dict[str, str]) -> int | None:
    """The answer argued by the debater whose model string is the judge's (one side only)."""
    mine = [int(a) for a, m in sides.items() if m == model]
    return mine[0] if len(mine) == 1 else None


@register
class JudgeProbe(Protocol[ProbeOptions]):
    name = NAME
    roles = ("judge",)
    prompts: ClassVar[dict[str, str]] = {"judge": "probe/judge"}
    Options = ProbeOptions
    info = ProtocolInfo(
        label="Judge bias probes",
        summary="Re-judges a logged run's debates with one factor changed (length, labels, "
        "confident framing, order) and reports how much each moves the judge.",
        page="probe",
        menu_order=50,
        seat_styles=JUDGE_STYLES,
        form=(
            FormField(option="length", label="Length probe", widget="checkbox", key="probe.length"),
            FormField(option="label", label="Label probe (X/Y)", widget="checkbox", key="probe.label"),
            FormField(
                option="assertiveness", label="Assertiveness probe", widget="checkbox",
                key="probe.assertiveness",
            ),
            FormField(option="position", label="Position probe", widget="checkbox", key="probe.position"),
            FormField(
                option="padding", label="Padding sentences", widget="number", key="probe.padding",
                low=1, high=12,
            ),
            PANEL_FIELDS[0],
        ),
        conditions={
            BASE: "as logged",
            "length": "one side padded",
            "label": "labels X/Y",
            "assertiveness": "one side confidently framed",
            "position": "answers swapped",
        },
    )  # fmt: skip
    replies: ClassVar[dict[str, ReplyKind]] = {"judge": "judgement"}
    measurements = (ProbeMetrics,)
    reads_verdict_modes = True
    sections = (SECTION,)

    @classmethod
    def seats(cls, options: ProbeOptions) -> tuple[str, ...]:
        return tuple(options.judges)

    @classmethod
    def expected_calls(cls, options: ProbeOptions) -> int:
        return (1 + len(options.probes())) * len(options.judges)

    def logged_items(self, store: Store, run_id: str) -> list[Item]:
        """The run's judge checks (`consistency.logged`), each with the model string that
        argued each side (``meta.sides``), for self-preference."""
        sides: dict[str, dict[str, str]] = {}
        for view in store.transcripts_of(run_id):
            shown = sorted(view.assignment.display_order)
            seats = view.assignment.seats
            if len(shown) != 2:
                continue
            new = {old: i for i, old in enumerate(shown)}
            sides[view.id] = {
                str(new[seats[t.role]]): t.model
                for t in view.turns
                if t.role in seats and seats[t.role] in new and "kind" not in t.meta
            }
        items = judge_items(store, run_id)
        return [
            i.model_copy(update={"meta": {**i.meta, "sides": sides.get(i.id, {})}}) for i in items
        ]

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        check = _check(item)
        return [
            Assignment(seats={}, display_order=list(check.display_order), condition=p)
            for p in (BASE, *self.options.probes())
        ]

    async def run(self, ctx: TranscriptContext) -> None:
        check = _check(ctx.item)
        probe = ctx.assignment.condition or BASE
        seed = ctx.provenance.seed or 0
        shown, prompt_values = values(check, probe, seed, self.options.padding)
        favoured = target(probe, check, seed)
        sides = ctx.item.meta.get("sides", {})

        n = len(check.answers)

        async def one(judge: str) -> None:
            seat = ctx.seats[judge]
            assert seat.prompt is not None
            mode = seat.config.verdict_mode or "stated"  # read as any judge seat's verdicts
            messages = prepare(seat.prompt.render(**prompt_values), mode, shown.labels)
            if seat.votes > 1:  # stated or structured (a logprobs judge takes no votes)

                def read(text: str) -> Verdict:
                    return read_verdict(mode, text, {}, shown.order, n, shown.labels)

                verdict = await judge_by_votes(ctx, judge, messages, read, shown.labels)
            else:
                turn = await ctx.call(judge, messages)
                verdict = read_verdict(
                    mode, turn.content, turn.meta, shown.order, n, shown.labels
                ).model_copy(update={"turn_index": turn.index, "role": judge})
            ok = verdict.status == "ok" and favoured is not None
            metrics = ProbeMetrics(
                probe=probe,
                source_transcript=check.source_transcript or check.id,
                target=favoured,
                own=own_side(seat.model.model_string, sides),
                picked_target=(verdict.choice == favoured) if ok else None,
            )
            ctx.verdict(verdict.model_copy(update={"metrics": metrics.model_dump()}))

        await together(*(one(judge) for judge in self.options.judges))


def _check(item: Item) -> JudgeCheck:
    check = check_of(item)
    if not isinstance(check, JudgeCheck):
        raise ValueError(f"item {item.id!r} is not a logged debate (use dataset = run:<run id>)")
    return check
