"""The report's judge probe table: per run, judge and probe, the change in the probability of
picking the side a probe favours, paired by logged transcript, with a cluster-bootstrap
interval (`playground.stats.bootstrap_interval`, one cluster per transcript).

- A probe row pairs, for each logged transcript, the judge's base verdict and its verdict under
  the probe, both ``ok``: effect = mean over pairs of [picked favoured side under the probe] −
  [picked that same side as logged]. ``p_base`` and ``p_probe`` are the two means.
- ``self_preference`` pairs two judges of the same run on the same base transcripts: a judge
  whose model string argued one side (``own``) and a reference judge whose model argued
  neither; effect = [judge picked its own model's side] − [reference picked that side].
- Unparseable or failed verdicts drop their pair (``pairs`` counts what is left).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ...stats import bootstrap_interval
from ..spec import ReportFrames, ReportSection

COLUMNS = [
    "run_name", "judge", "probe", "versus", "pairs", "p_base", "p_probe", "effect", "ci_low",
    "ci_high",
]  # fmt: skip


def probe_rows(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The probe verdicts with their metrics unpacked (one row per ok verdict)."""
    v = verdicts[(verdicts["protocol"] == "judge_probe") & (verdicts["status"] == "ok")]
    rows = []
    for r in v.itertuples(index=False):
        m = json.loads(r.metrics) if isinstance(r.metrics, str) else None
        if not isinstance(m, dict) or m.get("kind") != "probe":
            continue
        rows.append(
            {
                "run_id": r.run_id,
                "run_name": r.run_name,
                "role": r.verdict_role,
                "judge": str(r.judge),
                "probe": m["probe"],
                "source": m["source_transcript"],
                "target": m.get("target"),
                "own": m.get("own"),
                "choice": int(r.choice),
            }
        )
    return pd.DataFrame(rows, columns=[
        "run_id", "run_name", "role", "judge", "probe", "source", "target", "own", "choice",
    ])  # fmt: skip


def effect_row(
    base: np.ndarray, probed: np.ndarray, sources: np.ndarray, reps: int, seed: int = 0
) -> dict[str, float | int]:
    """Paired means, their difference and its bootstrap interval over transcripts."""
    diff = probed.astype(float) - base.astype(float)

    def mean(weights: np.ndarray) -> np.ndarray:
        total = weights.sum()
        return np.array([weights @ diff / total if total else np.nan])

    low, high = bootstrap_interval(mean, sources, reps=reps, seed=seed)
    return {
        "pairs": len(diff),
        "p_base": float(base.mean()),
        "p_probe": float(probed.mean()),
        "effect": float(diff.mean()),
        "ci_low": float(low[0]),
        "ci_high": float(high[0]),
    }


def effects(frames: ReportFrames, reps: int) -> dict[str, pd.DataFrame]:
    rows = probe_rows(frames.verdicts)
    out: list[dict[str, object]] = []
    base = rows[rows["probe"] == "base"]
    for (run, role, probe), probed in rows[rows["probe"] != "base"].groupby(
        ["run_id", "role", "probe"], sort=True
    ):
        pairs = probed.merge(
            base[(base["run_id"] == run) & (base["role"] == role)],
            on="source",
            suffixes=("", "_base"),
        )
        if pairs.empty:
            continue
        target = pairs["target"].astype(int).to_numpy()
        stats = effect_row(
            pairs["choice_base"].to_numpy() == target,
            pairs["choice"].to_numpy() == target,
            pairs["source"].to_numpy(),
            reps,
        )
        first = pairs.iloc[0]
        out.append(
            {
                "run_name": first.run_name,
                "judge": first.judge,
                "probe": probe,
                "versus": "as logged",
                **stats,
            }
        )
    for (run, role), mine in base[base["own"].notna()].groupby(["run_id", "role"], sort=True):
        others = base[(base["run_id"] == run) & (base["role"] != role) & base["own"].isna()]
        for _, ref in others.groupby("role", sort=True):
            pairs = mine.merge(ref, on="source", suffixes=("", "_ref"))
            if pairs.empty:
                continue
            own = pairs["own"].astype(int).to_numpy()
            stats = effect_row(
                pairs["choice_ref"].to_numpy() == own,
                pairs["choice"].to_numpy() == own,
                pairs["source"].to_numpy(),
                reps,
            )
            first = pairs.iloc[0]
            out.append({
                "run_name": first.run_name, "judge": first.judge, "probe": "self_preference",
                "versus": str(pairs.iloc[0].judge_ref), **stats,
            })  # fmt: skip
    return {"probe_effects": pd.DataFrame(out, columns=COLUMNS)}


SECTION = ReportSection(
    key="judge_probe",
    title="Judge bias probes",
    about="Per judge and probe: how much the change moves the probability of picking the side "
    "it favours (effect = p_probe − p_base), paired by logged transcript, with a 95% "
    "cluster-bootstrap interval over transcripts. Length pads one side, label renames A/B to "
    "X/Y (favoured: the first-shown answer), assertiveness frames one side confidently, "
    "position swaps the order (favoured: the answer moved first); self_preference compares a "
    "judge sharing a debater's model with a reference judge on the same transcripts.",
    tables=effects,
    notes={"probe_effects": "needs a judge_probe run (dataset = run:<run id>)"},
    every_verdict=False,
    order=80,
)
