"""Amplification's part of the report: the outcomes of the checks recorded on check turns
(``meta.check``), per check and family, with Wilson intervals."""

from __future__ import annotations

import pandas as pd

from ...stats import RATE_COLUMNS, rates, with_intervals
from ..spec import ReportFrames, ReportSection


def checks(readings: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Check outcomes per check and family (see `playground.analysis.turns.build_readings`): amplification's
    ``justification`` / ``resample`` / ``direct`` flags by tree depth, consistency violations by
    family. ``k`` counts failures (flags, violations) among the ``n`` checks with a readable
    outcome; rate and Wilson interval are of failures; ``unreadable`` counts checks whose reply
    or call failed (never counted as a pass). Only transcripts with a verdict in the selection.
    """
    columns = ["check", "family", *RATE_COLUMNS, "unreadable"]
    keep = readings[
        readings["check"].notna() & readings["transcript_id"].isin(verdicts["transcript_id"])
    ]
    if keep.empty:
        return pd.DataFrame(columns=columns)
    readable = keep["failed"].notna() & keep["status"].fillna("ok").eq("ok")
    data = pd.DataFrame(
        {
            "check": keep["check"].astype(str).astype(object),
            "family": keep["family"].fillna("(all)").astype(str).astype(object),
            "failed": keep["failed"].where(readable),
        }
    )
    table = rates(data, ["check", "family"], "failed")
    unreadable = data[~readable.to_numpy()].groupby(["check", "family"]).size()
    index = pd.MultiIndex.from_frame(table[["check", "family"]])
    table["unreadable"] = unreadable.reindex(index, fill_value=0).to_numpy()
    missing = unreadable.index.difference(index)
    if len(missing):
        extra = pd.DataFrame(list(missing), columns=["check", "family"])
        extra = with_intervals(extra.assign(n=0, k=0))
        extra["unreadable"] = unreadable.reindex(missing).to_numpy()
        table = pd.concat([table, extra], ignore_index=True)
    return table[columns].sort_values(["check", "family"], ignore_index=True)


def _tables(frames: ReportFrames, reps: int) -> dict[str, pd.DataFrame]:
    return {"checks": checks(frames.readings, frames.verdicts)}


SECTION = ReportSection(
    key="checks",
    title="amplification flags",
    about="Amplification's justification / resample / direct flags by tree depth (check turns).",
    tables=_tables,
    notes={"checks": "needs an amplification run"},
    order=91,
    reads_turns=True,
)
