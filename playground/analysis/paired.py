"""Cluster-aware accuracy and paired comparisons between conditions judged on the same items.

- **Clustered accuracy**: verdicts of one item (a question and its position-swapped copy, a
  re-judge, several runs) are not independent. Per condition and judge: accuracy with the
  clustered standard error (the Inspect AI ``stderr(cluster=...)`` formula, Miller 2024,
  appendix A, with a finite-cluster correction) and a cluster-bootstrap percentile interval
  that resamples whole clusters. The cluster is any verdict-frame column: ``item_key`` (the
  dataset and item id: an item and its swap) by default, an item metadata field
  ``item.<key>`` (e.g. ``item.article_id``: every question on one QuALITY passage moves
  together), or e.g. ``run_id``, ``dataset``, ``model.<role>``, ``option.<name>``. A verdict
  whose item lacks the field is its item's own cluster (`cluster_labels`).
- **Paired comparisons**: two arms (condition · judge, e.g. debate vs consultancy vs blind, two
  judges, two prompt versions) judged on the same units (an item shown the same way). McNemar's
  exact test and the paired difference with its cluster-bootstrap interval come from the one
  implementation in `playground.prompting.stats` (the prompt A/B view's).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd

from ..prompting.stats import paired_stats
from ..stats import bootstrap_interval, proportion_row
from .parse import ITEM_PREFIX

CLUSTERED_COLUMNS = [
    "condition", "judge", "n", "k", "rate", "clusters", "se_clustered", "se_naive",
    "boot_low", "boot_high",
]  # fmt: skip
PAIRED_COLUMNS = [
    "arm_a", "arm_b", "pairs", "accuracy_a", "accuracy_b", "difference", "ci_low", "ci_high",
    "both_ok", "a_only", "b_only", "mcnemar_p",
]  # fmt: skip


def clustered_se(values: np.ndarray, clusters: np.ndarray) -> float:
    """Clustered standard error of the mean of ``values``:
    SE = √(G/(G − 1) · Σ_g (Σ_{i∈g} (x_i − x̄))²) / n over G clusters (0 with one cluster,
    nan with no values)."""
    x = np.asarray(values, dtype=float)
    if not len(x):
        return math.nan
    codes = pd.factorize(pd.Series(clusters))[0]
    groups = int(codes.max()) + 1
    if groups < 2:
        return 0.0
    sums = np.bincount(codes, weights=x - x.mean(), minlength=groups)
    return float(math.sqrt((sums**2).sum() * groups / (groups - 1)) / len(x))


ITEM = "item"
"""The default cluster as users name it: the item (``item_key``)."""


def cluster_column(verdicts: pd.DataFrame, name: str) -> str:
    """The verdict-frame column a cluster name means: ``item`` → ``item_key``; an item metadata
    key (``article_id``) → ``item.article_id``; else the column itself. A one-line ValueError
    naming what exists when there is no such column."""
    name = name.strip()
    if name in ("", ITEM, "item_key"):
        return "item_key"
    for column in (ITEM_PREFIX + name, name):
        if column in verdicts.columns:
            return column
    fields = ", ".join(item_fields(verdicts)) or "none in these verdicts"
    raise ValueError(
        f"cluster: no item field or column {name!r} (item fields: {fields}; or use 'item')"
    )


def item_fields(verdicts: pd.DataFrame) -> list[str]:
    """The item metadata keys present in the frame (``item.<key>`` columns), in frame order."""
    return [c.removeprefix(ITEM_PREFIX) for c in verdicts.columns if c.startswith(ITEM_PREFIX)]


def cluster_labels(verdicts: pd.DataFrame, cluster: str) -> np.ndarray:
    """Each verdict's cluster as text: the ``cluster`` column's value, or, where it is missing
    (an item without that metadata field), the verdict's own item, so items lacking the field
    are neither pooled into one cluster nor dropped."""
    values = verdicts[cluster].astype(object).to_numpy()
    labels = np.array([f"{cluster}={v}" for v in values], dtype=object)
    missing = pd.isna(values)
    if missing.any():
        items = verdicts["item_key"].to_numpy()[missing]
        labels[missing] = [f"item_key={k}" for k in items]
    return labels


def clustered_accuracy(
    verdicts: pd.DataFrame, cluster: str = "item_key", reps: int = 200, seed: int = 0
) -> pd.DataFrame:
    """Per condition and judge over ok verdicts: n, k, rate, the number of clusters, the
    clustered and the naive (√(p(1 − p)/(n − 1))) standard errors, and the cluster-bootstrap
    95% interval (nan without replicates or with fewer than two clusters)."""
    if cluster not in verdicts.columns:
        raise ValueError(f"cluster: no column {cluster!r} in the verdicts")
    ok = verdicts.loc[verdicts["status"] == "ok", ["condition", "judge", "is_correct"]]
    ok = ok.assign(
        _cluster=cluster_labels(verdicts, cluster)[(verdicts["status"] == "ok").to_numpy()]
    )
    rows = []
    for (condition, judge), g in ok.groupby(["condition", "judge"], sort=True, observed=True):
        x = g["is_correct"].astype(float).to_numpy()
        labels = g["_cluster"].to_numpy()
        row = proportion_row(int(x.sum()), len(x))
        groups = len(set(labels))
        low = high = math.nan
        if reps and groups >= 2:

            def mean(w: np.ndarray, x: np.ndarray = x) -> np.ndarray:
                return np.array([(w * x).sum() / w.sum()])

            lo, hi = bootstrap_interval(mean, labels, reps=reps, seed=seed)
            low, high = float(lo[0]), float(hi[0])
        p = row["rate"]
        naive = math.sqrt(p * (1 - p) / (len(x) - 1)) if len(x) > 1 else math.nan
        rows.append(
            {"condition": condition, "judge": judge, **{k: row[k] for k in ("n", "k", "rate")},
             "clusters": groups, "se_clustered": clustered_se(x, labels), "se_naive": naive,
             "boot_low": low, "boot_high": high}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=CLUSTERED_COLUMNS)


def arms(verdicts: pd.DataFrame, cluster: str = "item_key") -> pd.DataFrame:
    """One row per arm and unit: arm = ``condition · judge``; unit = (item, the order the
    answers were shown); the arm's first verdict on the unit in log order (any status), with
    (scored, correct) and its cluster (``cluster_labels``: the item by default)."""
    cols = ["condition", "judge", "item_key", "shown", "status", "is_correct", "created_at"]
    v = verdicts[cols].assign(_cluster=cluster_labels(verdicts, cluster))
    v = v.sort_values("created_at", kind="stable")
    v = v.assign(
        arm=v["condition"].astype(str) + " · " + v["judge"].astype(str),
        unit=v["item_key"].astype(str) + "|" + v["shown"].astype(str),
        scored=v["status"].eq("ok"),
        right=v["status"].eq("ok") & v["is_correct"].eq(True),
    )
    return v.drop_duplicates(["arm", "unit"])[["arm", "unit", "_cluster", "scored", "right"]]


def paired_comparisons(
    verdicts: pd.DataFrame,
    reps: int = 200,
    seed: int = 0,
    level: float = 0.95,
    cluster: str = "item_key",
) -> pd.DataFrame:
    """Every pair of arms sharing at least one unit: accuracy of each over the shared units,
    the difference B − A with its paired cluster-bootstrap interval (clusters, the items by
    default, resampled whole), and McNemar's exact p on the pairs where both verdicts are ok
    (`paired_stats`)."""
    if verdicts.empty:
        return pd.DataFrame(columns=PAIRED_COLUMNS)
    if cluster not in verdicts.columns:
        raise ValueError(f"cluster: no column {cluster!r} in the verdicts")
    per = arms(verdicts, cluster)
    by_arm = {arm: g.set_index("unit") for arm, g in per.groupby("arm", sort=True)}
    rows = []
    for a, b in combinations(sorted(by_arm), 2):
        shared = by_arm[a].index.intersection(by_arm[b].index)
        if not len(shared):
            continue
        ga, gb = by_arm[a].loc[shared], by_arm[b].loc[shared]
        stats = paired_stats(
            list(zip(ga["scored"], ga["right"], strict=True)),
            list(zip(gb["scored"], gb["right"], strict=True)),
            resamples=reps,
            seed=seed,
            level=level,
            clusters=ga["_cluster"].tolist(),
        )
        rows.append(
            {"arm_a": a, "arm_b": b, "pairs": stats.pairs, "accuracy_a": stats.accuracy_a,
             "accuracy_b": stats.accuracy_b, "difference": stats.difference,
             "ci_low": stats.ci_low, "ci_high": stats.ci_high, "both_ok": stats.both_ok,
             "a_only": stats.a_only, "b_only": stats.b_only, "mcnemar_p": stats.mcnemar_p}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


__all__ = [
    "ITEM", "arms", "cluster_column", "cluster_labels", "clustered_accuracy", "clustered_se",
    "item_fields", "paired_comparisons",
]  # fmt: skip
