"""The statement families (negation, paraphrase, conjunction, conditional, monotonicity,
but_not, implication, disjoint_spanning, expected_evidence, cond_cond): which statements to ask
about, eliciting each probability, and the check's verdict (its violation and, where defined,
its arbitrage violation)."""

from __future__ import annotations

from typing import Any

from ...datasets.consistency import (
    ButNot,
    CondCond,
    Conditional,
    Conjunction,
    DisjointSpanning,
    ExpectedEvidence,
    Implication,
    Monotonicity,
    Negation,
    Paraphrase,
    StatementCheck,
)
from ...records import Verdict
from ..base import TranscriptContext
from ..concurrency import together
from . import metrics
from .elicit import parse_probability
from .turns import ElicitationMeta
from .writer import write

ELICITATION = "elicitation"
"""``meta.kind`` of the subject's answer to one statement."""
SUBJECT = "subject"


def given(check: StatementCheck) -> dict[str, str | None]:
    """The statements a check asks about, by key; None where the dataset left one out."""
    match check:
        case Negation():
            return {"a": check.a, "not_a": check.not_a}
        case Paraphrase():
            texts = check.paraphrases or []
            return (
                {"a": check.a}
                | {f"p{i}": t for i, t in enumerate(texts, 1)}
                | ({} if texts else {"paraphrases": None})
            )
        case Conjunction():
            return {"a": check.a, "b": check.b, "a_and_b": check.a_and_b, "a_or_b": check.a_or_b}
        case Conditional():
            return {"a": check.a, "b_given_a": check.b_given_a, "a_and_b": check.a_and_b}
        case Monotonicity():
            return {f"x={v:g}": check.statement(v) for v in check.values}
        case ButNot():
            return {"a": check.a, "b_not_a": check.b_not_a, "a_or_b": check.a_or_b}
        case Implication():
            return {"a": check.a, "b": check.b}
        case DisjointSpanning():
            return {f"o{i}": text for i, text in enumerate(check.options, 1)}
        case ExpectedEvidence():
            return {
                "a": check.a,
                "e": check.e,
                "a_given_e": check.a_given_e,
                "a_given_not_e": check.a_given_not_e,
            }
        case CondCond():
            return {
                "a": check.a,
                "b_given_a": check.b_given_a,
                "c_given_a_and_b": check.c_given_a_and_b,
                "a_and_b_and_c": check.a_and_b_and_c,
            }
    raise TypeError(f"not a statement check: {check!r}")


def missing(check: StatementCheck) -> list[str]:
    """Keys the variant writer would have to write."""
    return [key for key, text in given(check).items() if text is None]


async def statements(
    ctx: TranscriptContext, check: StatementCheck, paraphrases: int
) -> tuple[dict[str, str], list[str]]:
    """Every statement to elicit (the writer fills the gaps, in parallel) and the keys the
    writer failed to write."""
    wanted = given(check)
    values = {"statement": getattr(check, "a", None), "a": getattr(check, "a", None)}
    values["b"] = getattr(check, "b", None)
    gaps = [key for key, text in wanted.items() if text is None]
    written = await together(
        *(
            write(
                ctx, key, {**values, "n": paraphrases}, paraphrases if key == "paraphrases" else 1
            )
            for key in gaps
        )
    )
    out = {key: text for key, text in wanted.items() if text is not None}
    failed = []
    for key, texts in zip(gaps, written, strict=True):
        if not texts:
            failed.append(key)
        elif key == "paraphrases":
            out |= {f"p{i}": t for i, t in enumerate(texts, 1)}
        else:
            out[key] = texts[0]
    return out, failed


async def elicit(ctx: TranscriptContext, key: str, statement: str) -> float | None:
    """The subject's probability for one statement, recorded on its turn (meta.probability,
    meta.status, meta.reason); None when its reply did not parse."""
    prompt = ctx.seats[SUBJECT].prompt
    assert prompt is not None

    def parsed(text: str) -> dict[str, Any]:
        e = parse_probability(text)
        return {"probability": e.probability, "status": e.status, "reason": e.reason}

    turn = await ctx.call(
        SUBJECT,
        prompt.render(statement=statement),
        meta={"kind": ELICITATION, "key": key, "statement": statement},
        annotate=parsed,
    )
    p = ElicitationMeta.model_validate(turn.meta).probability
    return None if p is None else float(p)


def measure(
    check: StatementCheck, p: dict[str, float | None]
) -> tuple[dict[str, Any] | None, str | None]:
    """The family's metrics from the parsed probabilities, with the arbitrage violation over
    the answers used (None where undefined), or why they cannot be computed."""
    measured, why = _violation(check, p)
    if measured is None:
        return None, why
    ok = {k: v for k, v in p.items() if v is not None}
    return measured | {"arbitrage": metrics.arbitrage(check.family, ok)}, None


def _violation(
    check: StatementCheck, p: dict[str, float | None]
) -> tuple[dict[str, Any] | None, str | None]:
    ok = {k: v for k, v in p.items() if v is not None}

    def need(*keys: str) -> str | None:
        lost = [k for k in keys if k not in ok]
        return f"no parsed answer for {', '.join(lost)}" if lost else None

    match check:
        case Negation():
            why = need("a", "not_a")
            return (None, why) if why else (metrics.negation(ok["a"], ok["not_a"]), None)
        case Paraphrase():
            if len(ok) < 2:
                return None, f"only {len(ok)} of {len(p)} answers parsed (2 needed)"
            return metrics.paraphrase(list(ok.values())), None
        case Conjunction():
            why = need("a", "b", "a_and_b", "a_or_b")
            if why:
                return None, why
            return metrics.conjunction(ok["a"], ok["b"], ok["a_and_b"], ok["a_or_b"]), None
        case Conditional():
            why = need("a", "b_given_a", "a_and_b")
            if why:
                return None, why
            return metrics.conditional(ok["a"], ok["b_given_a"], ok["a_and_b"]), None
        case Monotonicity():
            pairs = [(v, ok[f"x={v:g}"]) for v in check.values if f"x={v:g}" in ok]
            if len(pairs) < 3:
                return None, f"only {len(pairs)} of {len(check.values)} answers parsed (3 needed)"
            xs, ps = zip(*pairs, strict=True)
            return metrics.monotonicity(xs, ps, check.direction), None
        case ButNot():
            why = need("a", "b_not_a", "a_or_b")
            if why:
                return None, why
            return metrics.but_not(ok["a"], ok["b_not_a"], ok["a_or_b"]), None
        case Implication():
            why = need("a", "b")
            return (None, why) if why else (metrics.implication(ok["a"], ok["b"]), None)
        case DisjointSpanning():
            why = need(*given(check))
            return (None, why) if why else (metrics.disjoint_spanning(list(ok.values())), None)
        case ExpectedEvidence() | CondCond():
            keys = list(given(check))
            why = need(*keys)
            if why:
                return None, why
            rule = metrics.expected_evidence if isinstance(check, ExpectedEvidence) else None
            return (rule or metrics.cond_cond)(*(ok[k] for k in keys)), None
    raise TypeError(f"not a statement check: {check!r}")


async def run_statements(ctx: TranscriptContext, check: StatementCheck, paraphrases: int) -> None:
    """Write missing statements, elicit every probability at once, record the check verdict:
    ``ok`` with its metrics, or ``unparseable`` with the reason and the counts."""
    texts, failed = await statements(ctx, check, paraphrases)
    keys = list(texts)
    answers = await together(*(elicit(ctx, key, texts[key]) for key in keys))
    p = dict(zip(keys, answers, strict=True))
    unparseable = [k for k, v in p.items() if v is None]
    base: dict[str, Any] = {
        "family": check.family,
        "probabilities": p,
        "statements": texts,
        "unparseable": unparseable,
        "n_unparseable": len(unparseable),
    }
    if failed:
        lost = f"variant_writer wrote nothing usable for {', '.join(failed)}"
        ctx.verdict(Verdict(status="unparseable", reason=lost, role=SUBJECT, metrics=base))
        return
    measured, reason = measure(check, p)
    if measured is None:
        ctx.verdict(
            Verdict(
                status="unparseable",
                reason=reason,
                role=SUBJECT,
                metrics=base | {"violation": None},
            )
        )
        return
    ctx.verdict(Verdict(status="ok", role=SUBJECT, metrics=base | measured))
