"""Judge votes (``votes = N`` on a judge seat): N samples of the same judgement, each its own
turn with its own seed, and one verdict from their majority.

- Sample i (0-based) is called with ``seed = (seat seed or 0) + i`` and cache sample i, so
  votes are distinct calls; each is a turn with ``meta.kind = 'vote'`` carrying what it read.
  With temperature 0 most providers give the same reply N times: set a temperature.
- The verdict is the choice most parseable votes made. Its credences are the **vote share**
  among parseable votes (k of m votes for an answer → k/m), not the mean of the votes' stated
  confidences: the share is defined for every parseable vote (a vote without a confidence line
  still counts), it is the self-consistency estimate the voting literature uses, and it does
  not mix two quantities (agreement between samples and each sample's own confidence). Each
  vote's own credences stay on its turn, so the mean can be computed from the log.
- A tie between the most-chosen answers, or no parseable vote, is ``unparseable`` with the
  reason; a failed vote call fails the transcript (an ``error`` verdict), as a single judge does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ..providers import Message
from ..records import Verdict, VerdictStatus
from .base import TranscriptContext
from .concurrency import together
from .meta import TurnMeta

VOTE = "vote"
"""``meta.kind`` of one sample of a voting judge."""


class VoteMeta(TurnMeta):
    """One sample of a voting judge (1-based): what it read, before the majority is taken."""

    kind: Literal["vote"] = "vote"
    vote: int
    status: VerdictStatus
    choice: int | None = None
    credences: list[float] | None = None


def tally(
    votes: Sequence[Verdict], shown: Sequence[int], labels: Sequence[str], n_answers: int
) -> Verdict:
    """The verdict of a set of read votes (no raw, role or turn yet): majority and vote share."""
    chosen = [v.choice for v in votes if v.status == "ok" and v.choice is not None]
    counts = Counter(chosen)
    label = dict(zip(shown, labels, strict=False))
    lost = len(votes) - len(chosen)
    spread = ", ".join(f"{label[i]} {counts[i]}" for i in shown if counts[i])
    missing = f", {lost} unparseable" if lost else ""
    if not counts:
        return Verdict(status="unparseable", reason=f"none of {len(votes)} votes parsed")
    top = max(counts.values())
    leaders = [i for i in shown if counts[i] == top]
    if len(leaders) > 1:
        tied = " and ".join(label[i] for i in leaders)
        return Verdict(
            status="unparseable",
            reason=f"tie between {tied} ({top} of {len(votes)} votes each{missing})",
        )
    credences = [counts[i] / len(chosen) for i in range(n_answers)]
    return Verdict(
        status="ok",
        choice=leaders[0],
        credences=credences,
        reason=f"majority of {len(votes)} votes: {spread}{missing}",
    )


async def judge_by_votes(
    ctx: TranscriptContext,
    judge: str,
    messages: list[Message],
    read: Callable[[str], Verdict],
    labels: Sequence[str] = ("A", "B"),
) -> Verdict:
    """Call ``judge`` once per vote (at once), record each vote's turn, and return the verdict
    (role and turn index set: the first vote's turn)."""

    seat = ctx.seats[judge]
    base = seat.config.seed or 0

    def annotate(number: int) -> Callable[[str], dict[str, Any]]:
        def meta(text: str) -> dict[str, Any]:
            v = read(text)
            return VoteMeta(
                vote=number, status=v.status, choice=v.choice, credences=v.credences
            ).model_dump()

        return meta

    turns = await together(
        *(
            ctx.call(
                judge,
                messages,
                meta={"kind": VOTE, "vote": i + 1},
                annotate=annotate(i + 1),
                sample=i,
                config=seat.config.model_copy(update={"seed": base + i}),
            )
            for i in range(seat.votes)
        )
    )
    read_votes = [read(t.content) for t in turns]
    shown = ctx.assignment.display_order
    verdict = tally(read_votes, shown, labels, len(ctx.item.answers))
    raw = "\n\n".join(f"[vote {t.meta['vote']}]\n{t.content}" for t in turns)
    return verdict.model_copy(update={"raw": raw, "role": judge, "turn_index": turns[0].index})
