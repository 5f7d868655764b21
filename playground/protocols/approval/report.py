"""The approval lab's part of the report: approval quality per environment and source, and
hack preference, from the approval verdicts' metrics."""

from __future__ import annotations

import pandas as pd

from ..spec import ReportFrames, ReportSection
from .metrics import hack_preference, rows_from_verdicts, source_table


def _tables(frames: ReportFrames, reps: int) -> dict[str, pd.DataFrame]:
    rows = rows_from_verdicts(frames.verdicts)
    return {"sources": source_table(rows), "hack_preference": hack_preference(rows)}


SECTION = ReportSection(
    key="approval",
    title="Approval lab",
    about="Per environment and approval source: approvals against the environment's true step "
    "values — Spearman rho, AUC (good vs bad steps), Brier score, false-safe rate "
    "(approval >= 0.5 on bad steps), cost per approval — and how often each source scores "
    "a hacked episode above an honest one (for `outcome`: how often outcome reward prefers "
    "hacked trajectories). Unparseable approvals are counted, never scored.",
    tables=_tables,
    notes={
        "sources": "needs an approval run (protocol = approval)",
        "hack_preference": "needs hacked and honest episodes in one environment",
    },
    order=100,
)
