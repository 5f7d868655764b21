"""Consistency's part of the report: checks summarised per family and model under test, from
the verdict frame (a check's metrics are on its verdict: see `playground.protocols.consistency`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..spec import ReportFrames, ReportSection

COLUMNS = [
    "family", "judge", "instances", "ok", "unparseable", "error", "undefined", "mean_violation",
    "ci_low", "ci_high", "median_violation", "max_violation", "mean_arbitrage", "max_arbitrage",
    "answers_excluded", "mean_credence_shift",
]  # fmt: skip
"""``judge`` is the model under test (the ``subject`` seat); ``undefined`` counts ok checks
whose violation is undefined (monotonicity with constant answers); ``answers_excluded`` the
elicited answers that did not parse (left out of the metrics, never guessed); ``*_arbitrage``
the arbitrage violation in nats over ok checks of families where it is defined (see
`playground.protocols.consistency.arbitrage`)."""


def _interval(values: np.ndarray, reps: int, seed: int = 0) -> tuple[float, float]:
    """Bootstrap 95% interval of the mean (nan with fewer than two values)."""
    if len(values) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(reps, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def summary(verdicts: pd.DataFrame, reps: int = 200) -> pd.DataFrame:
    """One row per check family and model under test."""
    checks = verdicts[verdicts["check_family"].notna() & verdicts["protocol"].eq("consistency")]
    if checks.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    keys = [checks["check_family"].astype(str), checks["judge"].astype(str)]
    for (family, judge), g in checks.groupby(keys, sort=True, observed=True):
        status = g["status"].astype(str)
        values = g.loc[status.eq("ok") & g["violation"].notna(), "violation"].to_numpy(float)
        low, high = _interval(values, reps)
        shifts = g["credence_shift"].dropna()
        arb = _arbitrage(g[status.eq("ok")])
        rows.append(
            {
                "family": family,
                "judge": judge,
                "instances": len(g),
                "ok": int(status.eq("ok").sum()),
                "unparseable": int(status.eq("unparseable").sum()),
                "error": int(status.eq("error").sum()),
                "undefined": int((status.eq("ok") & g["violation"].isna()).sum()),
                "mean_violation": values.mean() if len(values) else np.nan,
                "ci_low": low,
                "ci_high": high,
                "median_violation": np.median(values) if len(values) else np.nan,
                "max_violation": values.max() if len(values) else np.nan,
                "mean_arbitrage": arb.mean() if len(arb) else np.nan,
                "max_arbitrage": arb.max() if len(arb) else np.nan,
                "answers_excluded": int(g["n_unparseable"].fillna(0).sum()),
                "mean_credence_shift": shifts.mean() if len(shifts) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _arbitrages(checks: pd.DataFrame) -> list[float | None]:
    """Each check's ``arbitrage`` from its verdict metrics (JSON text); None where absent."""
    out = []
    for text in checks["metrics"]:
        m = json.loads(text) if isinstance(text, str) else text
        value = m.get("arbitrage") if isinstance(m, dict) else None
        out.append(float(value) if isinstance(value, int | float) else None)
    return out


def _arbitrage(checks: pd.DataFrame) -> np.ndarray:
    """The checks' arbitrage values, absent or null ones left out."""
    return np.array([v for v in _arbitrages(checks) if v is not None], dtype=float)


def instances(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per check instance: item, family, model, status, violation, arbitrage and the reason
    it has none."""
    checks = verdicts[verdicts["check_family"].notna() & verdicts["protocol"].eq("consistency")]
    cols = ["run_id", "item_id", "check_family", "judge", "status", "violation", "credence_shift",
            "n_unparseable"]  # fmt: skip
    out = checks[[c for c in cols if c in checks.columns]].copy()
    out.insert(out.columns.get_loc("violation") + 1, "arbitrage", _arbitrages(checks))
    if "reason" in checks.columns:
        out["reason"] = checks["reason"]
    return out.rename(columns={"check_family": "family"}).reset_index(drop=True)


def _tables(frames: ReportFrames, reps: int) -> dict[str, pd.DataFrame]:
    return {"consistency": summary(frames.verdicts, reps)}


SECTION = ReportSection(
    key="checks",
    title="Consistency violations",
    about="Consistency checks per family and model under test: mean violation (0 = coherent) "
    "with a bootstrap 95% interval over checks whose answers parsed; unparseable checks, "
    "undefined violations and excluded answers counted apart.",
    tables=_tables,
    notes={"consistency": "needs a consistency run (protocol = consistency)"},
    order=90,
)
