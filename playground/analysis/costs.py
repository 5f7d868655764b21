"""Cost, tokens and latency from the turn aggregates (`Frames.usage`): per run, per role and
model, and latency distributions.

Every turn counts (debaters', judges', failed calls). Token and cost sums are over the turns
that reported them; ``unknown_*`` columns count the turns that did not (servers that send no
usage are recorded as null, never estimated), so a sum is a lower bound when they are > 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .turns import BUCKETS_PER_E

SUMS = ["turns", "errors", "input_tokens", "with_input", "output_tokens", "with_output",
        "cost_usd", "with_cost", "latency_ms", "with_latency"]  # fmt: skip


def _totals(usage: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    columns = [*by, "turns", "errors", "input_tokens", "output_tokens", "unknown_tokens",
               "cost_usd", "unknown_cost", "mean_latency_ms"]  # fmt: skip
    if usage.empty:
        return pd.DataFrame(columns=columns)
    t = usage.groupby(by, sort=True, dropna=False)[SUMS].sum().reset_index()
    t["unknown_tokens"] = t["turns"] - np.minimum(t["with_input"], t["with_output"])
    t["unknown_cost"] = t["turns"] - t["with_cost"]
    t["mean_latency_ms"] = t["latency_ms"] / t["with_latency"].where(t["with_latency"] > 0)
    for name in (
        "turns",
        "errors",
        "input_tokens",
        "output_tokens",
        "unknown_tokens",
        "unknown_cost",
    ):
        t[name] = t[name].astype(int)
    return t[columns]


def cost_by_run(usage: pd.DataFrame) -> pd.DataFrame:
    """Per run: turns, failed turns, token and cost sums (known ones), unknowns, mean latency."""
    return _totals(usage, ["run_id"])


def cost_by_role(usage: pd.DataFrame) -> pd.DataFrame:
    """Per run, role and model: the same sums as `cost_by_run`."""
    return _totals(usage, ["run_id", "role", "model"])


def bucket_edges(bucket: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latency bucket b spans [e^(b/40) − 1, e^((b+1)/40) − 1) milliseconds (see
    `frame.usage_statement`)."""
    b = np.asarray(bucket, dtype=float)
    return np.exp(b / BUCKETS_PER_E) - 1, np.exp((b + 1) / BUCKETS_PER_E) - 1


def latency_histogram(usage: pd.DataFrame) -> pd.DataFrame:
    """Turns per latency bucket, per role and model: role, model, low_ms, high_ms, turns."""
    data = usage[usage["bucket"].notna()]
    if data.empty:
        return pd.DataFrame(columns=["role", "model", "low_ms", "high_ms", "turns"])
    t = data.groupby(["role", "model", "bucket"], sort=True)["with_latency"].sum().reset_index()
    low, high = bucket_edges(t["bucket"].to_numpy())
    return pd.DataFrame(
        {"role": t["role"], "model": t["model"], "low_ms": low, "high_ms": high,
         "turns": t["with_latency"].astype(int)}
    )  # fmt: skip


def quantile_from_histogram(
    low: np.ndarray, high: np.ndarray, counts: np.ndarray, q: float
) -> float:
    """The q-quantile of values binned into [low, high) buckets (sorted), interpolating
    geometrically in (value + 1) inside the bucket it falls in: exact to the bucket width."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return np.nan
    cum = np.cumsum(counts)
    target = q * total
    i = int(np.searchsorted(cum, target, side="left"))
    i = min(i, len(counts) - 1)
    before = cum[i] - counts[i]
    frac = (target - before) / counts[i] if counts[i] else 0.0
    return float((low[i] + 1) * ((high[i] + 1) / (low[i] + 1)) ** frac - 1)


def latency_summary(usage: pd.DataFrame) -> pd.DataFrame:
    """Per role and model: turns with a latency, mean (exact), and p50 / p90 / p99 read from
    the 2.5%-wide histogram."""
    columns = ["role", "model", "turns", "mean_ms", "p50_ms", "p90_ms", "p99_ms"]
    hist = latency_histogram(usage)
    if hist.empty:
        return pd.DataFrame(columns=columns)
    sums = usage.groupby(["role", "model"])[["latency_ms", "with_latency"]].sum()
    rows = []
    for (role, model), g in hist.groupby(["role", "model"], sort=True):
        low, high, n = g["low_ms"].to_numpy(), g["high_ms"].to_numpy(), g["turns"].to_numpy()
        total = sums.loc[(role, model)]
        rows.append(
            {
                "role": role,
                "model": model,
                "turns": int(n.sum()),
                "mean_ms": total["latency_ms"] / total["with_latency"],
                **{
                    f"p{int(q * 100)}_ms": quantile_from_histogram(low, high, n, q)
                    for q in (0.5, 0.9, 0.99)
                },
            }
        )
    return pd.DataFrame(rows, columns=columns)
