"""Violation metrics of the consistency check families: pure functions of elicited
probabilities, each returning its parts and one ``violation`` ≥ 0 (0 = coherent), and
each family's possible worlds, from which `arbitrage` measures the arbitrage violation.

Every family's formula is in its function's docstring and docs/protocols/consistency.md.
Probabilities that did not parse never reach these functions: the caller drops them and counts
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .arbitrage import World, base_worlds
from .arbitrage import arbitrage as arbitrage_of

Metrics = dict[str, Any]


def _r(value: float) -> float:
    """Rounded to 12 places so hand-computed values compare exactly (0.1 + 0.2 − 0.3 ≠ 0)."""
    return round(float(value), 12)


def negation(p_a: float, p_not_a: float) -> Metrics:
    """P(A) and P(¬A) must sum to 1: violation = |P(A) + P(¬A) − 1|."""
    return {"violation": _r(abs(p_a + p_not_a - 1))}


def paraphrase(probabilities: Sequence[float]) -> Metrics:
    """Paraphrases of one statement must get one probability: violation = max − min over the
    statement and its paraphrases (at least two answers needed)."""
    if len(probabilities) < 2:
        raise ValueError("paraphrase needs at least two probabilities")
    return {"violation": _r(max(probabilities) - min(probabilities)), "n": len(probabilities)}


def _outside(value: float, low: float, high: float) -> float:
    """How far ``value`` lies outside [low, high] (0 inside)."""
    return max(0.0, low - value, value - high)


def conjunction(p_a: float, p_b: float, p_and: float, p_or: float) -> Metrics:
    """Fréchet bounds and the sum rule for A, B, A∧B, A∨B:

    - ``and_bound``: distance of P(A∧B) outside [max(0, P(A)+P(B)−1), min(P(A), P(B))];
    - ``or_bound``: distance of P(A∨B) outside [max(P(A), P(B)), min(1, P(A)+P(B))];
    - ``sum_gap``: |P(A∨B) + P(A∧B) − P(A) − P(B)|;
    - ``violation`` = the largest of the three.
    """
    and_bound = _outside(p_and, max(0.0, p_a + p_b - 1), min(p_a, p_b))
    or_bound = _outside(p_or, max(p_a, p_b), min(1.0, p_a + p_b))
    sum_gap = abs(p_or + p_and - p_a - p_b)
    return {
        "and_bound": _r(and_bound),
        "or_bound": _r(or_bound),
        "sum_gap": _r(sum_gap),
        "violation": _r(max(and_bound, or_bound, sum_gap)),
    }


def conditional(p_a: float, p_b_given_a: float, p_and: float) -> Metrics:
    """Bayes' product rule: violation = |P(A)·P(B|A) − P(A∧B)|."""
    return {"violation": _r(abs(p_a * p_b_given_a - p_and))}


def but_not(p_a: float, p_b_not_a: float, p_or: float) -> Metrics:
    """The reference's "but" relation P(A∨B) = P(A) + P(B∧¬A) (B and A exclusive parts of
    A∨B): violation = |P(A) + P(B∧¬A) − P(A∨B)|."""
    return {"violation": _r(abs(p_a + p_b_not_a - p_or))}


def implication(p_a: float, p_b: float) -> Metrics:
    """A implies B (B is a consequence of A), so P(A) ≤ P(B): violation = max(0, P(A) − P(B))."""
    return {"violation": _r(max(0.0, p_a - p_b))}


def disjoint_spanning(probabilities: Sequence[float]) -> Metrics:
    """Exactly one of the options is true (a partition), so the probabilities sum to 1:
    violation = |Σ P(option) − 1|."""
    if len(probabilities) < 2:
        raise ValueError("disjoint_spanning needs at least two options")
    total = float(sum(probabilities))
    return {"sum": _r(total), "violation": _r(abs(total - 1)), "n": len(probabilities)}


def expected_evidence(
    p_a: float, p_e: float, p_a_given_e: float, p_a_given_not_e: float
) -> Metrics:
    """Conservation of expected evidence (total probability): P(A) = P(E)·P(A|E) +
    (1 − P(E))·P(A|¬E); violation = |P(A) − P(E)·P(A|E) − (1 − P(E))·P(A|¬E)|."""
    implied = p_e * p_a_given_e + (1 - p_e) * p_a_given_not_e
    return {"implied": _r(implied), "violation": _r(abs(p_a - implied))}


def cond_cond(p_a: float, p_b_given_a: float, p_c_given_ab: float, p_abc: float) -> Metrics:
    """The chain rule over three events: P(A)·P(B|A)·P(C|A∧B) = P(A∧B∧C); violation =
    |P(A)·P(B|A)·P(C|A∧B) − P(A∧B∧C)|."""
    return {"violation": _r(abs(p_a * p_b_given_a * p_c_given_ab - p_abc))}


def worlds(family: str, keys: Sequence[str]) -> list[World] | None:
    """How each elicited statement (by key) resolves in every logically possible world of the
    family (None = void: a conditional whose condition is false); None for families the
    arbitrage metric is not defined for (monotonicity, judge)."""
    ab = base_worlds(["A", "B"])
    match family:
        case "negation":
            return [{"a": w["A"], "not_a": not w["A"]} for w in ab]
        case "paraphrase":
            return [dict.fromkeys(keys, truth) for truth in (True, False)]
        case "conjunction":
            return [
                {"a": w["A"], "b": w["B"], "a_and_b": w["A"] and w["B"], "a_or_b": w["A"] or w["B"]}
                for w in ab
            ]
        case "conditional":
            return [
                {"a": w["A"], "b_given_a": w["B"] if w["A"] else None, "a_and_b": w["A"] and w["B"]}
                for w in ab
            ]
        case "but_not":
            return [
                {"a": w["A"], "b_not_a": w["B"] and not w["A"], "a_or_b": w["A"] or w["B"]}
                for w in ab
            ]
        case "implication":
            return [{"a": w["A"], "b": w["B"]} for w in ab if w["B"] or not w["A"]]
        case "disjoint_spanning":
            return [{k: k == true for k in keys} for true in keys]
        case "expected_evidence":
            return [
                {
                    "a": w["A"],
                    "e": w["B"],
                    "a_given_e": w["A"] if w["B"] else None,
                    "a_given_not_e": None if w["B"] else w["A"],
                }
                for w in ab
            ]
        case "cond_cond":
            return [
                {
                    "a": w["A"],
                    "b_given_a": w["B"] if w["A"] else None,
                    "c_given_a_and_b": w["C"] if w["A"] and w["B"] else None,
                    "a_and_b_and_c": w["A"] and w["B"] and w["C"],
                }
                for w in base_worlds(["A", "B", "C"])
            ]
    return None


def arbitrage(family: str, p: dict[str, float]) -> float | None:
    """The family's arbitrage violation for the parsed probabilities ``p`` (by statement key;
    see `playground.protocols.consistency.arbitrage`), in nats; None where undefined."""
    possible = worlds(family, list(p))
    if possible is None:
        return None
    return arbitrage_of(p, [{k: w[k] for k in p} for w in possible])


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's ρ (Pearson correlation of average ranks); None when either side is
    constant or there are fewer than two pairs, where ρ is undefined."""
    if len(x) != len(y):
        raise ValueError("spearman needs two sequences of equal length")
    if len(x) < 2:
        return None
    rx = pd.Series(x, dtype=float).rank().to_numpy()
    ry = pd.Series(y, dtype=float).rank().to_numpy()
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def monotonicity(
    values: Sequence[float], probabilities: Sequence[float], direction: str
) -> Metrics:
    """Answers must move one way as the parameter grows (``increasing`` or ``decreasing``):
    violation = (1 − ρ)/2 with ρ = Spearman's ρ between the parameter (negated when the
    direction is decreasing) and the probabilities. 0 = perfectly monotone in the right
    direction, 1 = perfectly reversed. Constant probabilities leave ρ undefined: violation is
    then None and the instance is counted as undefined, not as coherent."""
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be increasing or decreasing, not {direction!r}")
    sign = 1.0 if direction == "increasing" else -1.0
    rho = spearman([sign * v for v in values], probabilities)
    return {
        "spearman": None if rho is None else _r(rho),
        "violation": None if rho is None else _r((1 - rho) / 2),
        "n": len(probabilities),
    }


def judge(base: tuple[int, float | None], variants: dict[str, tuple[int, float | None]]) -> Metrics:
    """A judge's stability: ``base`` is its (choice, credence in that choice) on the transcript
    as logged; ``variants`` the same for each re-presentation (positions swapped, question
    paraphrased, labels renamed), choices in answer-index space.

    - ``flips``: per variant, whether the choice differs from the base choice;
    - ``disagreement`` = the share of variants that flip;
    - ``credence_shift`` = mean over variants with credences of |credence the variant gives
      the base choice − the base credence| (None when no credences were given);
    - ``violation`` = ``disagreement``.
    """
    if not variants:
        raise ValueError("judge consistency needs at least one variant")
    choice, credence = base
    flips = {name: c != choice for name, (c, _) in variants.items()}
    shifts = []
    for c, p in variants.values():
        if p is not None and credence is not None:
            on_base = p if c == choice else 1 - p  # two answers: the rest goes to the other
            shifts.append(abs(on_base - credence))
    disagreement = sum(flips.values()) / len(flips)
    return {
        "flips": flips,
        "disagreement": _r(disagreement),
        "credence_shift": _r(float(np.mean(shifts))) if shifts else None,
        "violation": _r(disagreement),
    }
