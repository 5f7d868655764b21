"""What the judged protocols share (blind, consultancy, debate and their open variants): which
answers are in play, how transcripts read to a judge, judge panels, per-round credences,
judge questions, and a model choosing its side."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..prompts import PromptTemplate, get_prompt
from ..records import Assignment, Item, Turn
from . import scratchpad as pad
from .base import TranscriptContext, TurnFailed
from .concurrency import together
from .quotes import JUDGE_NOTE, QuoteMode, counts, mark
from .verdict_modes import prepare, read_verdict
from .verdicts import parse_verdict
from .votes import judge_by_votes

LABELS = ("A", "B")
QUESTION = "question"
"""``meta.kind`` of a judge's question between rounds."""
INTERIM = "interim"
"""``meta.kind`` of a judge's judgement after a round, before the end (a credence curve point)."""
CHOICE = "choice"
"""``meta.kind`` of a model choosing the answer it will argue for."""
CANDIDATE = "candidate"
"""``meta.kind`` of one of the N samples of a best-of-N turn."""
SELECTION = "selection"
"""``meta.kind`` of the selector's scoring of best-of-N candidates."""
_SCORE = re.compile(
    r"^\s*(?:candidate\s*)?(\d+)\s*[:=\-]\s*(\d+(?:\.\d+)?)", re.IGNORECASE | re.MULTILINE
)
_BEST = re.compile(r"\bbest\s*[:：]\s*(?:candidate\s*)?(\d+)", re.IGNORECASE)


class JudgedOptions(BaseModel):
    """Options every judged protocol has."""

    model_config = ConfigDict(extra="forbid")

    swap_positions: bool = Field(
        False,
        description="Also run each item with the answers shown to the judge in the other "
        "order (and so defended from the other seat), to measure position bias.",
    )
    judges: list[str] = Field(
        default_factory=lambda: ["judge"],
        description="A judge panel: seats named judge or judge_<x>, each configured in "
        "[roles.<seat>] (inheriting [roles.judge] key by key); every judge gives its own "
        "verdict on the same transcript.",
    )

    @field_validator("judges")
    @classmethod
    def _judge_seats(cls, judges: list[str]) -> list[str]:
        if not judges:
            raise ValueError("give at least one judge")
        for name in judges:
            if name != "judge" and not (name.startswith("judge_") and name[6:].isidentifier()):
                raise ValueError(f"judge seat {name!r} must be 'judge' or 'judge_<name>'")
        if len(set(judges)) != len(judges):
            raise ValueError("a judge seat is listed twice")
        return judges


class RoundOptions(JudgedOptions):
    """Options of protocols that argue over rounds (consultancy, debate)."""

    rounds: int = Field(3, ge=1, le=20, description="Rounds of argument.")
    judge_each_round: bool = Field(
        False,
        description="Every judge also gives a choice and credence after each round but the "
        "last, recorded on its turn (meta.kind = 'interim'), for credence curves.",
    )
    best_of_n: int = Field(
        1,
        ge=1,
        le=16,
        description="Each arguer turn samples N candidates (meta.kind = 'candidate') and the "
        "selector seat scores them (meta.kind = 'selection'); the pick becomes the speech.",
    )
    quotes: QuoteMode = Field(
        "off",
        description="Check each <quote>…</quote> an arguer cites against the passage (strict or "
        "fuzzy) and show the judge verified and unverified quotes marked differently; counts "
        "per turn go to meta.quotes.",
    )
    scratchpad: bool = Field(
        False,
        description="Arguers may think inside <scratchpad>…</scratchpad>: recorded on the turn "
        "(meta.scratchpad) but removed from what the judge and the opponent see.",
    )


def done(ctx: TranscriptContext, role: str, round_: int | None, kind: str | None = None) -> bool:
    """Whether this step already has a turn: a fork continues a transcript from copied turns."""
    return any(
        t.role == role and t.round == round_ and t.meta.get("kind") == kind for t in ctx.turns
    )


def seats_with_judges(speakers: Sequence[str], options: JudgedOptions) -> tuple[str, ...]:
    """The speaking seats, then the judge seats (a panel when ``judges`` names several), then
    a ``selector`` when best-of-N sampling needs one to pick among candidates."""
    best_of_n = options.best_of_n if isinstance(options, RoundOptions) else 1
    selector = ("selector",) if best_of_n > 1 else ()
    return (*speakers, *options.judges, *selector)


def answer_pair(item: Item, rng: random.Random) -> list[int]:
    """The true answer and one wrong answer, in a random order that becomes the display order."""
    if item.correct is None:
        raise ValueError(f"item {item.id!r} has no true answer, which this protocol needs")
    wrong = [i for i in range(len(item.answers)) if i != item.correct]
    pair = [item.correct, rng.choice(wrong)]
    rng.shuffle(pair)
    return pair


def orders(pair: list[int], swap: bool) -> list[tuple[list[int], bool]]:
    """The display orders to run: as drawn, and reversed when positions are swapped."""
    return [(pair, False), (pair[::-1], True)] if swap else [(pair, False)]


def label_of(assignment: Assignment, answer: int) -> str:
    return LABELS[assignment.display_order.index(answer)]


def speaker(ctx: TranscriptContext, role: str) -> str:
    """How a seat is named in a transcript: arguers by the label of the answer they defend."""
    seats = ctx.assignment.seats
    if role == "consultant" and role in seats:
        return f"Consultant (for {label_of(ctx.assignment, seats[role])})"
    if role in seats:
        return f"Debater {label_of(ctx.assignment, seats[role])}"
    return "Judge"


def render_transcript(
    ctx: TranscriptContext, turns: Sequence[Turn] | None = None, quotes: QuoteMode = "off"
) -> str:
    """Arguments and judge questions, round by round, as a judge and the arguers read them;
    with quote checking on, every quote is marked verified or unverified."""
    lines: list[str] = [JUDGE_NOTE] if quotes != "off" else []
    for turn in sorted(turns if turns is not None else ctx.turns, key=lambda t: t.index):
        kind = turn.meta.get("kind")
        is_question = kind == QUESTION
        if kind not in (None, QUESTION) or (
            turn.role not in ctx.assignment.seats and not is_question
        ):
            continue  # only speeches and judge questions: not side choices or interim judgements
        if turn.round is not None and f"Round {turn.round}" not in lines:
            lines.append(f"Round {turn.round}")
        content = (
            turn.content.strip()
            if is_question
            else mark(pad.public(turn).strip(), ctx.item.passage, quotes)
        )
        lines.append(f"{speaker(ctx, turn.role)}: {content}")
    return "\n".join(lines) if len(lines) > (quotes != "off") else "(nothing yet)"


def quote_counter(
    ctx: TranscriptContext, quotes: QuoteMode
) -> Callable[[str], dict[str, Any]] | None:
    """The ``annotate`` of an arguer's call: its verified and unverified quote counts."""
    if quotes == "off":
        return None
    return lambda text: {"quotes": counts(text, ctx.item.passage, quotes)}


def judge_values(ctx: TranscriptContext, transcript: str) -> dict[str, Any]:
    shown = ctx.assignment.display_order
    return {
        "question": ctx.item.question,
        "answer_a": ctx.item.answers[shown[0]],
        "answer_b": ctx.item.answers[shown[1]],
        "transcript": transcript,
    }


async def judge_panel(
    ctx: TranscriptContext,
    judges: Sequence[str],
    *,
    interim_round: int | None = None,
    quotes: QuoteMode = "off",
) -> None:
    """Every judge of the panel judges the transcript as it stands, independently and at once.

    The final judgement is a verdict per judge. An interim one (after round ``interim_round``)
    is recorded on the judge's turn only: meta kind 'interim' with its status, choice and
    credences, so credence curves can be drawn without counting it as a verdict.
    """
    shown = ctx.assignment.display_order
    values = judge_values(ctx, render_transcript(ctx, quotes=quotes))
    n = len(ctx.item.answers)

    async def one(judge: str) -> None:
        seat = ctx.seats[judge]
        assert seat.prompt is not None
        mode = seat.config.verdict_mode or "stated"  # how this seat's replies are read
        messages = prepare(seat.prompt.render(**values), mode, LABELS)
        if interim_round is not None:
            if done(ctx, judge, interim_round, INTERIM):
                return

            def interim(text: str, meta: dict[str, Any]) -> dict[str, Any]:
                v = read_verdict(mode, text, meta, shown, n, LABELS)
                return {
                    "kind": INTERIM,
                    "status": v.status,
                    "choice": v.choice,
                    "credences": v.credences,
                }

            await ctx.call(judge, messages, round=interim_round, read=interim)
            return
        if ctx.seats[judge].votes > 1:  # `votes = N`: N samples, their majority
            # stated or structured: a logprobs judge takes no votes (refused before the run)
            read = lambda text: read_verdict(mode, text, {}, shown, n, LABELS)  # noqa: E731
            ctx.verdict(await judge_by_votes(ctx, judge, messages, read, LABELS))
            return
        turn = await ctx.call(judge, messages)
        verdict = read_verdict(mode, turn.content, turn.meta, shown, n, LABELS)
        ctx.verdict(verdict.model_copy(update={"turn_index": turn.index, "role": judge}))

    await together(*(one(judge) for judge in judges))


async def judge_question(
    ctx: TranscriptContext, judge: str, round_: int, rounds: int, quotes: QuoteMode = "off"
) -> Turn:
    """The judge's question after a round, seen by the arguers in the transcript."""
    existing = [t for t in ctx.turns if t.round == round_ and t.meta.get("kind") == QUESTION]
    if existing:
        return existing[0]
    template = get_prompt("debate/judge_question")
    transcript = render_transcript(ctx, quotes=quotes)
    values = judge_values(ctx, transcript) | {"round": round_, "rounds": rounds}
    return await ctx.call(
        judge, template.render(**values), round=round_, prompt=template, meta={"kind": QUESTION}
    )


async def choose_side(ctx: TranscriptContext, role: str) -> int:
    """Open protocols: the model in ``role`` picks the answer it will argue for (recorded on
    its turn as meta.kind 'choice', meta.chose). No clear pick ends the transcript in error."""
    copied = [t for t in ctx.turns if t.role == role and t.meta.get("kind") == CHOICE]
    if copied and copied[0].meta.get("chose") is not None:
        return int(copied[0].meta["chose"])
    template: PromptTemplate = get_prompt("debate/choose")
    shown = ctx.assignment.display_order
    values = judge_values(ctx, "") | {"passage": ctx.item.passage or "(none)"}
    del values["transcript"]

    def chose(text: str) -> dict[str, Any]:
        v = parse_verdict(text, shown, len(ctx.item.answers), LABELS)
        return {"kind": CHOICE, "chose": v.choice}

    turn = await ctx.call(
        role, template.render(**values), prompt=template, annotate=chose, reply="choice"
    )
    if turn.meta["chose"] is None:
        raise TurnFailed(turn.model_copy(update={"error": "no clear 'Answer: A/B' choice"}))
    return int(turn.meta["chose"])


def parse_selection(text: str, n: int) -> dict[str, Any]:
    """A selector's reply: scores per candidate (1-based) and its pick. No valid ``Best: k`` but
    scores → the highest-scored; nothing readable → status unparseable and candidate 1."""
    scores = {int(k): float(v) for k, v in _SCORE.findall(text) if 1 <= int(k) <= n}
    best = [int(b) for b in _BEST.findall(text) if 1 <= int(b) <= n]
    if best:
        chosen, status = best[-1], "ok"
    elif scores:
        chosen, status = max(scores, key=lambda k: (scores[k], -k)), "ok"
    else:
        chosen, status = 1, "unparseable"
    return {
        "kind": SELECTION,
        "scores": {str(k): v for k, v in scores.items()},
        "chosen": chosen,
        "status": status,
    }


async def argue(
    ctx: TranscriptContext,
    seat: str,
    messages: list[Any],
    round_: int,
    options: RoundOptions,
    my_answer: str,
    index: int | None = None,
) -> Turn:
    """One arguer speech: a single call, or with ``best_of_n`` N candidate calls scored by the
    selector seat, the pick recorded as the speech (meta.selected, meta.candidates)."""
    annotate = quote_counter(ctx, options.quotes)
    if options.scratchpad:  # private thinking: recorded on the turn, hidden from the others
        messages, quoted = pad.with_instruction(messages), annotate

        def annotate(text: str) -> dict[str, Any]:
            public, private = pad.split(text)
            return {pad.SCRATCHPAD: private, **(quoted(public) if quoted else {})}

    n = options.best_of_n
    if n == 1:
        return await ctx.call(seat, messages, round=round_, index=index, annotate=annotate)
    candidates = await together(
        *(
            ctx.call(
                seat, messages, round=round_, meta={"kind": CANDIDATE, "candidate": i + 1}, sample=i
            )
            for i in range(n)
        )
    )
    prompt = ctx.seats["selector"].prompt
    assert prompt is not None
    shown = [pad.split(c.content)[0] if options.scratchpad else c.content for c in candidates]
    listing = "\n\n".join(f"{i}. {text.strip()}" for i, text in enumerate(shown, 1))
    selector_messages = prompt.render(
        question=ctx.item.question, my_answer=my_answer, candidates=listing
    )
    selection = await ctx.call(
        "selector", selector_messages, round=round_, annotate=lambda text: parse_selection(text, n)
    )
    chosen = candidates[selection.meta["chosen"] - 1]
    meta = {"selected": selection.meta["chosen"], "candidates": [c.index for c in candidates]}
    if annotate:
        meta |= annotate(chosen.content)
    return ctx.note_turn(seat, chosen.content, model=chosen.model, round=round_, meta=meta)
