"""Cross-judge agreement: judge panels and re-judged transcripts — percent agreement, Cohen's and
Fleiss' kappa, Krippendorff's alpha (nominal on choices, interval on credences), and the spread
of credences on the same transcript."""

from __future__ import annotations

import math
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd

from ..stats import cohen_kappa, fleiss_kappa, pairwise_agreement
from .metrics import ok_rows


def krippendorff_alpha(
    ratings: np.ndarray, level: Literal["nominal", "interval"] = "nominal"
) -> float:
    """Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's alpha-reliability")
    from a raters × units array, nan where a rater did not rate a unit; computed by the
    ``krippendorff`` package.

    α = 1 − D_o / D_e: D_o the mean squared difference δ² between values paired within a
    unit (each unit's m_u values pairing with weight 1/(m_u − 1)), D_e the same over all
    pairable values; δ² = [c ≠ k] (nominal) or (c − k)² (interval). Units rated once are not
    pairable and drop out; unlike Fleiss' kappa, raters may rate different subsets. nan when
    fewer than two distinct values are pairable (α undefined).
    """
    data = np.asarray(ratings, dtype=float)
    if data.ndim != 2:
        raise ValueError("krippendorff_alpha: give a raters × units array")
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    values = data[:, pairable]
    if len(np.unique(values[~np.isnan(values)])) < 2:
        return math.nan
    return float(krippendorff.alpha(reliability_data=values, level_of_measurement=level))


def agreement(verdicts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cross-judge agreement on transcripts judged more than once: a judge panel's verdicts
    share a ``transcript_id``, and a re-judge's transcript counts as its parent's
    (``subject``, see `frame.subjects`). Each rater is a distinct ``judge`` (verdict role,
    model and prompt version). Categories are the chosen answer index; only ok verdicts count,
    and a rater's first verdict per transcript.

    Returns (summary, pairs, spread):

    - summary: subjects (transcripts with ≥ 2 raters), ratings, ``percent_agreement`` (mean
      share of agreeing rater pairs per subject, Fleiss' P̄), ``fleiss_kappa`` over the
      subjects having the most common number m of ratings (``fleiss_subjects``, ``m``),
      Krippendorff's alpha over every subject (``alpha_nominal`` on the choices,
      ``alpha_interval`` on the credences on the correct answer), and the credence spread's
      mean SD and median range;
    - pairs: per pair of raters, shared subjects, percent agreement and Cohen's kappa;
    - spread: per transcript with ≥ 2 credences on the correct answer, their count, sample SD
      and range (max − min), over every verdict with credences.
    """
    ok = ok_rows(verdicts, ["subject", "judge", "choice", "credence_correct"]).rename(
        columns={"subject": "transcript_id"}
    )
    ok = ok.drop_duplicates(["transcript_id", "judge"])
    codes = pd.factorize(ok["transcript_id"])[0]
    raters = np.bincount(codes)[codes] if len(codes) else codes
    multi = ok[raters >= 2]
    summary_cols = [
        "subjects", "ratings", "percent_agreement", "fleiss_kappa", "fleiss_subjects", "m",
        "alpha_nominal", "alpha_interval", "mean_sd", "median_range",
    ]  # fmt: skip
    pair_cols = ["judge_1", "judge_2", "subjects", "percent_agreement", "cohen_kappa"]
    spread = credence_spread(verdicts)
    if multi.empty:
        return pd.DataFrame(columns=summary_cols), pd.DataFrame(columns=pair_cols), spread
    subject = pd.factorize(multi["transcript_id"])[0]
    category = pd.factorize(multi["choice"].astype(int))[0]
    counts = np.zeros((subject.max() + 1, category.max() + 1))
    np.add.at(counts, (subject, category), 1)
    per_subject = counts.sum(axis=1).astype(int)
    m = int(np.bincount(per_subject).argmax())
    wide = multi.pivot(index="transcript_id", columns="judge", values="choice")
    credences = multi.pivot(index="transcript_id", columns="judge", values="credence_correct")
    summary = pd.DataFrame(
        [
            {
                "subjects": len(counts),
                "ratings": int(per_subject.sum()),
                "percent_agreement": pairwise_agreement(counts),
                "fleiss_kappa": fleiss_kappa(counts[per_subject == m]),
                "fleiss_subjects": int((per_subject == m).sum()),
                "m": m,
                "alpha_nominal": krippendorff_alpha(wide.to_numpy(float).T, "nominal"),
                "alpha_interval": krippendorff_alpha(credences.to_numpy(float).T, "interval"),
                "mean_sd": float(spread["sd"].mean()) if len(spread) else np.nan,
                "median_range": float(spread["range"].median()) if len(spread) else np.nan,
            }
        ]
    )
    pair_rows = []
    for a, b in combinations(sorted(wide.columns), 2):
        both = wide[[a, b]].dropna()
        if both.empty:
            continue
        x, y = both[a].astype(int).tolist(), both[b].astype(int).tolist()
        pair_rows.append(
            {
                "judge_1": a,
                "judge_2": b,
                "subjects": len(both),
                "percent_agreement": float(np.mean(np.equal(x, y))),
                "cohen_kappa": cohen_kappa(x, y),
            }
        )
    return summary, pd.DataFrame(pair_rows, columns=pair_cols), spread


def credence_spread(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per transcript with at least two verdicts carrying credences: how far apart the
    credences on the correct answer are (``sd`` with ddof = 1, ``range``)."""
    c = verdicts.loc[verdicts["credence_correct"].notna(), ["subject", "credence_correct"]]
    c = c.rename(columns={"subject": "transcript_id"})
    codes, ids = pd.factorize(c["transcript_id"])
    stats = (
        c["credence_correct"]
        .groupby(codes)
        .agg(["size", "mean", "std", "max", "min"])
        .set_axis(ids[: len(ids)], axis=0)
    )
    table = pd.DataFrame(
        {
            "transcript_id": stats.index.to_numpy(dtype=object),
            "verdicts": stats["size"].to_numpy(),
            "mean": stats["mean"].to_numpy(),
            "sd": stats["std"].to_numpy(),
            "range": (stats["max"] - stats["min"]).to_numpy(),
        }
    )
    return table[table["verdicts"] >= 2].reset_index(drop=True)
