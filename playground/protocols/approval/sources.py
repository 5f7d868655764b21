"""Approval sources: who rates an agent's proposed step, in [0, 1] with a rationale, before the
step is carried out.

- ``outcome``: no rating call; every step gets the episode's ordinary outcome reward (what
  outcome-based RL would credit it with), known only at the end.
- ``myopic_overseer``: the ``overseer`` seat rates the step by foresight.
- ``debate_overseer``: ``debater_a`` argues for approving the step, ``debater_b`` against, with
  the debate protocol's debater prompt and turn rules (simultaneous rounds); the ``judge``
  seat rates it after hearing them.
- ``consultant_overseer``: the ``consultant`` argues one side (the consultancy prompt), the
  ``judge`` rates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..base import TranscriptContext
from ..concurrency import together
from ..consistency.elicit import parse_probability

Source = Literal["outcome", "myopic_overseer", "debate_overseer", "consultant_overseer"]
SOURCES: tuple[Source, ...] = get_args(Source)
SEATS: dict[str, tuple[str, ...]] = {
    "outcome": (),
    "myopic_overseer": ("overseer",),
    "debate_overseer": ("debater_a", "debater_b", "judge"),
    "consultant_overseer": ("consultant", "judge"),
}
"""The seats each source needs."""
QUESTION = "Should the agent's proposed step be approved?"
APPROVE, REJECT = "Approve: the step is good", "Reject: the step is bad"
ARGUMENT = "argument"
"""``meta.kind`` of a debater's or consultant's argument about a step."""
APPROVAL = "approval"
"""``meta.kind`` of an overseer's or judge's rating of a step."""
_RATIONALE = re.compile(r"^\s*rationale\s*[:：]\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class StepView:
    """What an overseer sees of one step: the state before it, what the agent was asked, and
    what it proposed. Never anything after."""

    number: int
    name: str
    observation: str
    instruction: str
    proposal: str

    def passage(self) -> str:
        return (
            f"{self.observation}\n\nThe agent was asked: {self.instruction}\n"
            f"The agent proposes:\n{self.proposal}"
        )


@dataclass(frozen=True)
class Rating:
    """One source's approval of one step."""

    source: str
    approval: float | None
    """In [0, 1]; None when the reply gave no readable ``Approval: p``."""
    rationale: str | None
    raw: str
    reason: str | None = None
    turn_index: int | None = None


def parse_approval(text: str) -> dict[str, Any]:
    """``Approval: p`` (read like a probability: 0–1 or a percentage) and ``Rationale: ...``
    (else the reply's other lines)."""
    e = parse_probability(text, "Approval")
    found = _RATIONALE.findall(text)
    if found:
        rationale = found[-1].strip()
    else:
        rest = [ln for ln in text.splitlines() if ln.strip() and "approval" not in ln.lower()]
        rationale = " ".join(" ".join(rest).split())[:500] or None
    return {
        "approval": e.probability,
        "status": e.status,
        "reason": e.reason,
        "rationale": rationale,
    }


async def _rate(
    ctx: TranscriptContext, seat: str, source: str, view: StepView, **values: Any
) -> Rating:
    prompt = ctx.seats[seat].prompt
    assert prompt is not None
    messages = prompt.render(
        observation=view.observation, instruction=view.instruction, step=view.proposal, **values
    )
    meta = {"kind": APPROVAL, "source": source, "step": view.number}
    turn = await ctx.call(seat, messages, meta=meta, annotate=parse_approval)
    return Rating(
        source=source,
        approval=turn.meta["approval"],
        rationale=turn.meta["rationale"],
        raw=turn.content,
        reason=turn.meta["reason"],
        turn_index=turn.index,
    )


def _speaker(seat: str) -> str:
    return {
        "debater_a": f"Debater A (for: {APPROVE})",
        "debater_b": f"Debater B (for: {REJECT})",
        "consultant": "Consultant",
    }[seat]


def _arguments(turns: list[Any]) -> str:
    lines: list[str] = []
    for t in turns:
        if f"Round {t.round}" not in lines:
            lines.append(f"Round {t.round}")
        lines.append(f"{_speaker(t.role)}: {t.content.strip()}")
    return "\n".join(lines) or "(no arguments)"


async def _argue(
    ctx: TranscriptContext,
    source: str,
    view: StepView,
    sides: dict[str, tuple[str, str]],
    rounds: int,
) -> str:
    """Rounds of arguments about the step (each round's speakers at once, seeing earlier
    rounds only); the transcript as the judge reads it."""
    spoken: list[Any] = []

    async def speak(seat: str, round_: int, transcript: str) -> Any:
        mine, other = sides[seat]
        prompt = ctx.seats[seat].prompt
        assert prompt is not None
        messages = prompt.render(
            name=seat[-1].upper(), my_answer=mine, other_answer=other, passage=view.passage(),
            round=round_, rounds=rounds, transcript=transcript, question=QUESTION,
        )  # fmt: skip
        side = "approve" if mine == APPROVE else "reject"
        meta = {"kind": ARGUMENT, "source": source, "step": view.number, "side": side}
        return await ctx.call(seat, messages, round=round_, meta=meta)

    for round_ in range(1, rounds + 1):
        transcript = _arguments(spoken)
        spoken += await together(*(speak(seat, round_, transcript) for seat in sides))
    return _arguments(spoken)


async def rate(
    ctx: TranscriptContext, source: str, view: StepView, rounds: int, consultant_side: str
) -> Rating:
    """The rating of ``view`` by one overseer source (not ``outcome``)."""
    if source == "myopic_overseer":
        return await _rate(ctx, "overseer", source, view)
    if source == "debate_overseer":
        sides = {"debater_a": (APPROVE, REJECT), "debater_b": (REJECT, APPROVE)}
    elif source == "consultant_overseer":
        approve = consultant_side == "approve"
        sides = {"consultant": (APPROVE, REJECT) if approve else (REJECT, APPROVE)}
    else:
        raise ValueError(f"{source} is not an overseer source")
    transcript = await _argue(ctx, source, view, sides, rounds)
    return await _rate(ctx, "judge", source, view, transcript=transcript)
