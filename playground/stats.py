"""Small statistics the analysis and the protocols' report sections need, in numpy and pandas
only: Wilson intervals and rate tables, agreement (percent, Cohen's and Fleiss' kappa) and a
cluster bootstrap."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion k/n (Wilson 1927).

    centre = (p + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
    with p = k/n. Unlike the normal (Wald) interval it stays inside [0, 1] and is sensible for
    small n and p near 0 or 1. Returns (nan, nan) when n is 0.
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def proportion_row(successes: int, n: int) -> dict[str, float | int]:
    """``{n, k, rate, ci_low, ci_high}`` for a table row; rate and interval are nan when n = 0."""
    low, high = wilson(successes, n)
    return {
        "n": int(n),
        "k": int(successes),
        "rate": successes / n if n else math.nan,
        "ci_low": low,
        "ci_high": high,
    }


RATE_COLUMNS = ["n", "k", "rate", "ci_low", "ci_high"]


def rates(frame: pd.DataFrame, by: list[str], success: str) -> pd.DataFrame:
    """Per group: n rows with a non-null ``success``, k true, rate and Wilson interval."""
    data = frame[[*by, success]].dropna(subset=[success])
    grouped = data.groupby(by, sort=True, dropna=False)[success]
    table = pd.DataFrame({"n": grouped.size(), "k": grouped.sum().astype(int)}).reset_index()
    return with_intervals(table)


def with_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """A table's ``n`` and ``k`` columns replaced by `RATE_COLUMNS`."""
    rows = [proportion_row(k, n) for k, n in zip(table["k"], table["n"], strict=True)]
    extra = pd.DataFrame(rows, columns=RATE_COLUMNS, index=table.index)
    return pd.concat([table.drop(columns=["n", "k"]), extra], axis=1)


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Cohen's kappa for two raters labelling the same subjects (Cohen 1960).

    κ = (p_o − p_e) / (1 − p_e): p_o is the share of subjects both raters label alike,
    p_e = Σ_c p_a(c)·p_b(c) the agreement expected from each rater's own label frequencies.
    nan when there are no subjects, or when p_e = 1 (both raters always use one same label:
    agreement is then total but uninformative).
    """
    if len(a) != len(b):
        raise ValueError("cohen_kappa: both raters must label the same subjects")
    if not len(a):
        return math.nan
    x, y = pd.Series(list(a)), pd.Series(list(b))
    p_o = float((x.to_numpy() == y.to_numpy()).mean())
    pa = x.value_counts(normalize=True)
    pb = y.value_counts(normalize=True)
    p_e = float((pa * pb.reindex(pa.index, fill_value=0.0)).sum())
    if p_e >= 1.0:
        return math.nan
    return (p_o - p_e) / (1 - p_e)


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa (Fleiss 1971) from a subjects × categories table of rating counts; every
    subject must have the same number m ≥ 2 of ratings.

    P_i = (Σ_j n_ij² − m) / (m(m − 1))  (agreeing rater pairs on subject i),
    P̄ = mean_i P_i,  p_j = Σ_i n_ij / (N·m),  P̄_e = Σ_j p_j²,  κ = (P̄ − P̄_e) / (1 − P̄_e).
    nan for no subjects or P̄_e = 1.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or counts.shape[0] == 0:
        return math.nan
    m = counts.sum(axis=1)
    if not np.all(m == m[0]) or m[0] < 2:
        raise ValueError("fleiss_kappa: every subject needs the same number (≥ 2) of ratings")
    raters = m[0]
    p_i = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar = p_i.mean()
    p_j = counts.sum(axis=0) / counts.sum()
    p_e = float((p_j**2).sum())
    if p_e >= 1.0:
        return math.nan
    return float((p_bar - p_e) / (1 - p_e))


def pairwise_agreement(counts: np.ndarray) -> float:
    """Mean over subjects of the share of rater pairs that agree (Fleiss' P̄), allowing a
    different number of ratings per subject; subjects with fewer than two ratings are skipped."""
    counts = np.asarray(counts, dtype=float)
    m = counts.sum(axis=1) if counts.size else np.zeros(0)
    keep = m >= 2
    if not keep.any():
        return math.nan
    c, m = counts[keep], m[keep]
    return float((((c**2).sum(axis=1) - m) / (m * (m - 1))).mean())


def cluster_weights(
    clusters: np.ndarray, reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap weights resampling whole clusters (e.g. items, so a question and its swapped
    copy move together): returns (row cluster codes, reps × clusters multinomial counts)."""
    codes, uniques = pd.factorize(clusters)
    k = len(uniques)
    draws = rng.multinomial(k, np.full(k, 1.0 / k), size=reps) if k else np.zeros((reps, 0))
    return codes, draws


def bootstrap_interval(
    statistic: Callable[[np.ndarray], np.ndarray],
    clusters: np.ndarray,
    reps: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``statistic(row_weights)`` over cluster-bootstrap resamples.

    ``statistic`` takes one weight per row (how often the row's cluster was drawn) and returns
    a vector; the result is (low, high) vectors at the given level. Rows of a cluster drawn twice
    count twice, as in resampling with replacement.
    """
    rng = np.random.default_rng(seed)
    codes, draws = cluster_weights(np.asarray(clusters), reps, rng)
    samples = np.array([statistic(draw[codes].astype(float)) for draw in draws])
    alpha = (1 - level) / 2
    return (
        np.nanquantile(samples, alpha, axis=0),
        np.nanquantile(samples, 1 - alpha, axis=0),
    )
