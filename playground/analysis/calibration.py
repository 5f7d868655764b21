"""Calibration of judge credences: reliability diagram, Brier score, expected calibration
error, and credence curves across rounds.

Which verdicts count: ok verdicts with credences. *Confidence* is the credence the judge gave
its chosen answer (``credence_chosen``); the event is "the chosen answer is correct"
(``is_correct``). Unparseable and error verdicts carry no credences and never count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import Z95, wilson

BINS = 10


def _scored(verdicts: pd.DataFrame) -> pd.DataFrame:
    cols = ["judge", "credence_chosen", "credence_correct", "is_correct"]
    data = verdicts.loc[(verdicts["status"] == "ok") & verdicts["credence_chosen"].notna(), cols]
    return data.assign(hit=data["is_correct"].astype(float))


def bin_of(confidence: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Equal-width bins on [0, 1]: bin b holds [b/B, (b+1)/B), the last one also 1.0."""
    return np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)


def brier(credence_correct: np.ndarray) -> float:
    """Mean of (1 − p_correct)², p_correct being the credence on the true answer. For two
    answers this is the usual binary Brier score of either answer's forecast (and half the
    multi-class sum Σ_k (p_k − y_k)²); 0 is perfect, 0.25 is always saying 50%."""
    p = np.asarray(credence_correct, dtype=float)
    return float(np.mean((1 - p) ** 2)) if len(p) else np.nan


def ece(confidence: np.ndarray, hit: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error (Naeini et al. 2015; Guo et al. 2017):
    Σ_b (n_b / N) · |accuracy_b − mean confidence_b| over equal-width confidence bins."""
    conf, hit = np.asarray(confidence, dtype=float), np.asarray(hit, dtype=float)
    if not len(conf):
        return np.nan
    b = bin_of(conf, bins)
    n = np.bincount(b, minlength=bins)
    gap = np.abs(np.bincount(b, hit, bins) - np.bincount(b, conf, bins))
    return float(gap.sum() / n.sum())


def calibration_summary(verdicts: pd.DataFrame, bins: int = BINS) -> pd.DataFrame:
    """Per judge: verdicts with credences, mean confidence, accuracy, overconfidence
    (confidence − accuracy), Brier score and ECE."""
    columns = ["judge", "n", "confidence", "accuracy", "overconfidence", "brier", "ece"]
    data = _scored(verdicts)
    rows = []
    for judge, g in data.groupby("judge", sort=True):
        conf, hit = g["credence_chosen"].to_numpy(), g["hit"].to_numpy()
        rows.append(
            {
                "judge": judge,
                "n": len(g),
                "confidence": conf.mean(),
                "accuracy": hit.mean(),
                "overconfidence": conf.mean() - hit.mean(),
                "brier": brier(g["credence_correct"].to_numpy()),
                "ece": ece(conf, hit, bins),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def reliability(verdicts: pd.DataFrame, bins: int = BINS) -> pd.DataFrame:
    """Reliability diagram data: per judge and non-empty confidence bin, the bin's edges,
    count, mean confidence, accuracy and its Wilson interval."""
    columns = ["judge", "bin_low", "bin_high", "n", "confidence", "accuracy", "ci_low", "ci_high"]
    data = _scored(verdicts)
    if data.empty:
        return pd.DataFrame(columns=columns)
    data = data.assign(bin=bin_of(data["credence_chosen"].to_numpy(), bins))
    table = (
        data.groupby(["judge", "bin"], sort=True)
        .agg(n=("hit", "size"), k=("hit", "sum"), confidence=("credence_chosen", "mean"))
        .reset_index()
    )
    table["bin_low"] = table["bin"] / bins
    table["bin_high"] = (table["bin"] + 1) / bins
    table["accuracy"] = table["k"] / table["n"]
    bounds = [wilson(k, n) for k, n in zip(table["k"], table["n"], strict=True)]
    table["ci_low"] = [b[0] for b in bounds]
    table["ci_high"] = [b[1] for b in bounds]
    return table[columns]


def credence_curves(readings: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Mean credence on the correct answer by round, per model giving the readings: rounds
    from per-round readings (turns with ``meta["credences"]`` and a ``round``), then "final"
    from the verdicts of the same transcripts. Interval: mean ± 1.96·SD/√n."""
    columns = ["model", "round", "n", "mean", "ci_low", "ci_high"]
    keep = readings[
        readings["credence_correct"].notna()
        & readings["round"].notna()
        & readings["transcript_id"].isin(verdicts["transcript_id"])
    ]
    if keep.empty:
        return pd.DataFrame(columns=columns)
    rounds = pd.DataFrame(
        {
            "model": keep["model"].astype(str),
            "round": keep["round"].astype(int).astype(str),
            "value": keep["credence_correct"].astype(float),
        }
    )
    finals = verdicts[
        verdicts["transcript_id"].isin(keep["transcript_id"]) & verdicts["credence_correct"].notna()
    ]
    final = pd.DataFrame(
        {
            "model": finals["judge_model"].astype(str),
            "round": "final",
            "value": finals["credence_correct"].astype(float),
        }
    )
    data = pd.concat([rounds, final], ignore_index=True)
    table = data.groupby(["model", "round"], sort=True)["value"].agg(["size", "mean", "std"])
    table = table.reset_index().rename(columns={"size": "n"})
    half = Z95 * table["std"].fillna(0) / np.sqrt(table["n"])
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table[columns]
