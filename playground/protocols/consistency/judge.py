"""Judge consistency: one logged debate judged as logged and re-presented — positions swapped,
question paraphrased, labels renamed — by the judge under test. A stable judge picks the same
answer with the same credence every time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...datasets.consistency import JudgeCheck
from ...prompts import PromptTemplate
from ...records import Verdict
from ..base import TranscriptContext
from ..concurrency import together
from ..verdicts import parse_verdict
from . import metrics
from .statements import SUBJECT
from .writer import write

JUDGEMENT = "judgement"
"""``meta.kind`` of one judging of the debate under one presentation."""
BASE_LABELS = ("A", "B")
_MENTION = re.compile(r"\b(answer|debater|option)(\s+)([AB])\b", re.IGNORECASE)


@dataclass(frozen=True)
class Presentation:
    """How the debate is shown: answer order, the two labels, the question's wording."""

    name: str
    order: list[int]
    labels: tuple[str, str]
    question: str


def relabel(text: str, logged: dict[str, int], labels: dict[int, str]) -> str:
    """Rewrite mentions such as "Answer A" / "debater B" in a logged speech so they name the
    same answer under the new labels (``logged``: old label → answer; ``labels``: answer →
    new label)."""

    def swap(match: re.Match[str]) -> str:
        old = match.group(3)
        if old not in logged or match.group(3) != old.upper():
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{labels[logged[old]]}"

    return _MENTION.sub(swap, text)


def render(check: JudgeCheck, p: Presentation) -> dict[str, Any]:
    """The judge prompt's values for one presentation."""
    logged = {BASE_LABELS[i]: answer for i, answer in enumerate(check.display_order)}
    labels = {answer: p.labels[i] for i, answer in enumerate(p.order)}
    lines: list[str] = []
    for speech in check.debate:
        if speech.round is not None and f"Round {speech.round}" not in lines:
            lines.append(f"Round {speech.round}")
        text = relabel(speech.text.strip(), logged, labels)
        lines.append(f"Debater {labels[speech.answer]}: {text}")
    return {
        "question": p.question,
        "label_a": p.labels[0],
        "label_b": p.labels[1],
        "answer_a": check.answers[p.order[0]],
        "answer_b": check.answers[p.order[1]],
        "transcript": "\n".join(lines),
    }


async def presentations(
    ctx: TranscriptContext, check: JudgeCheck, variants: Sequence[str], rename: tuple[str, str]
) -> tuple[list[Presentation], list[str]]:
    """The logged presentation first, then each variant asked for; the paraphrase comes from
    the check or the variant writer. Also the variants that could not be built."""
    order = list(check.display_order)
    out = [Presentation("base", order, BASE_LABELS, check.question)]
    failed = []
    for name in variants:
        if name == "swap":
            out.append(Presentation("swap", order[::-1], BASE_LABELS, check.question))
        elif name == "rename":
            out.append(Presentation("rename", order, rename, check.question))
        elif name == "paraphrase":
            text = check.paraphrase
            if text is None:
                written = await write(ctx, "question", {"question": check.question})
                text = written[0] if written else None
            if text is None:
                failed.append("paraphrase")
            else:
                out.append(Presentation("paraphrase", order, BASE_LABELS, text))
    return out, failed


async def run_judge(
    ctx: TranscriptContext,
    check: JudgeCheck,
    prompt: PromptTemplate,
    variants: Sequence[str],
    rename: tuple[str, str],
) -> None:
    """Judge every presentation at once and record one verdict: the logged presentation's
    choice and credences (scored like any verdict) with the stability metrics."""
    shown, failed = await presentations(ctx, check, variants, rename)

    async def judge_one(p: Presentation) -> Verdict:
        def parsed(text: str) -> dict[str, Any]:
            v = parse_verdict(text, p.order, len(check.answers), p.labels)
            return {
                "status": v.status,
                "choice": v.choice,
                "credences": v.credences,
                "reason": v.reason,
            }

        meta = {
            "kind": JUDGEMENT,
            "variant": p.name,
            "labels": list(p.labels),
            "display_order": p.order,
            "question": p.question,
        }
        turn = await ctx.call(
            SUBJECT,
            prompt.render(**render(check, p)),
            meta=meta,
            prompt=prompt,
            annotate=parsed,
            reply="judgement",
        )
        verdict = parse_verdict(turn.content, p.order, len(check.answers), p.labels)
        return verdict.model_copy(update={"turn_index": turn.index, "role": SUBJECT})

    verdicts = dict(
        zip([p.name for p in shown], await together(*map(judge_one, shown)), strict=True)
    )
    base = verdicts.pop("base")

    def credence(v: Verdict) -> float | None:
        return v.credences[v.choice] if v.credences and v.choice is not None else None

    parsed = {n: v for n, v in verdicts.items() if v.status == "ok" and v.choice is not None}
    info: dict[str, Any] = {
        "family": "judge",
        "choices": {n: v.choice for n, v in {"base": base, **verdicts}.items()},
        "credences": {n: credence(v) for n, v in {"base": base, **verdicts}.items()},
        "unparseable": [n for n, v in verdicts.items() if n not in parsed],
        "not_built": failed,
    }
    info["n_unparseable"] = len(info["unparseable"]) + (base.status != "ok")
    if base.status != "ok" or base.choice is None:
        reason = f"the logged presentation's judgement did not parse ({base.reason})"
        ctx.verdict(
            base.model_copy(update={"reason": reason, "metrics": info | {"violation": None}})
        )
        return
    if not parsed:
        reason = "no variant judgement parsed"
        ctx.verdict(
            Verdict(
                status="unparseable",
                reason=reason,
                raw=base.raw,
                role=SUBJECT,
                turn_index=base.turn_index,
                metrics=info | {"violation": None},
            )
        )
        return
    measured = metrics.judge(
        (base.choice, credence(base)),
        {n: (v.choice, credence(v)) for n, v in parsed.items() if v.choice is not None},
    )
    ctx.verdict(base.model_copy(update={"metrics": info | measured}))
