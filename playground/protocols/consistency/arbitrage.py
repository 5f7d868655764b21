"""The arbitrage violation of Paleka et al. (2025, "Consistency checks for language model
forecasters"): how much an arbitrageur is sure to win against incoherent probabilities.

Each elicited statement i has a forecast p_i. A *world* ω says how every statement resolves:
true, false, or void (None: a conditional "B given A" in a world where A is false, which is
not scored). The arbitrageur bets forecasts q and, under the log scoring rule, gains in world
ω

    G_ω(q) = Σ_i [log q_i − log p_i]        over statements true in ω
           + Σ_i [log(1 − q_i) − log(1 − p_i)]  over statements false in ω.

The arbitrage violation is the gain it is sure of, whatever world comes about:

    arbitrage = max_q min_ω G_ω(q)   (in nats; 0 exactly when p is coherent).

Forecasts are clipped to [0.001, 0.999] first, as the reference does, so a 0 or 1 answer
gives a large but finite value. Every G_ω is concave in q, so the max-min is a convex program
(epigraph form: maximise t subject to G_ω(q) ≥ t), solved with SciPy's SLSQP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Outcome = bool | None
World = Mapping[str, Outcome]
CLIP = 1e-3
"""Forecasts are clipped to [CLIP, 1 − CLIP] (the reference's ``remove_zeros``)."""


def arbitrage(p: Mapping[str, float], worlds: Sequence[World]) -> float:
    """``max_q min_ω G_ω(q)`` over the possible ``worlds`` (see the module docstring), rounded
    to 9 places. Keys of ``p`` are the statements; every world names an outcome for each."""
    keys = list(p)
    if not keys or not worlds:
        raise ValueError("arbitrage needs forecasts and at least one possible world")
    from scipy.optimize import minimize  # about a second of imports: only when measured

    forecast = np.clip(np.array([p[k] for k in keys], dtype=float), CLIP, 1 - CLIP)
    # +1 where the statement is true in the world, −1 false, 0 void
    sign = np.array([[_sign(w[k]) for k in keys] for w in worlds], dtype=float)

    def gains(q: np.ndarray) -> np.ndarray:
        hit = np.where(sign > 0, np.log(q) - np.log(forecast), 0.0)
        miss = np.where(sign < 0, np.log1p(-q) - np.log1p(-forecast), 0.0)
        return (hit + miss).sum(axis=1)

    low, high = 1e-9, 1 - 1e-9
    start = np.append(forecast, gains(forecast).min())  # q = p gains 0 everywhere
    result = minimize(
        lambda x: -x[-1],
        start,
        jac=lambda x: np.append(np.zeros(len(keys)), -1.0),
        method="SLSQP",
        bounds=[(low, high)] * len(keys) + [(None, None)],
        constraints=[{"type": "ineq", "fun": lambda x: gains(x[:-1]) - x[-1]}],
        options={"maxiter": 500, "ftol": 1e-13},
    )
    value = float(gains(np.clip(result.x[:-1], low, high)).min())
    return round(max(value, 0.0), 9)


def _sign(outcome: Outcome) -> int:
    return 0 if outcome is None else (1 if outcome else -1)


def negation_closed_form(p_a: float, p_not_a: float) -> float:
    """The negation pair's arbitrage in closed form (the reference's exact formula):
    −2·log(√(P(A)·(1 − P(¬A))) + √((1 − P(A))·P(¬A)))."""
    a, n = (min(max(x, CLIP), 1 - CLIP) for x in (p_a, p_not_a))
    return -2 * math.log(math.sqrt(a * (1 - n)) + math.sqrt((1 - a) * n))


def base_worlds(events: Sequence[str]) -> list[dict[str, bool]]:
    """Every assignment of true/false to independent base events (A, B, …)."""
    out: list[dict[str, bool]] = [{}]
    for event in events:
        out = [w | {event: value} for w in out for value in (True, False)]
    return out
