"""Judge metrics on the verdict frame (`frame.VERDICT_COLUMNS`): accuracy, position bias, the
seat and round splits, and cross-judge agreement.

Which verdicts count: accuracy and every rate here use only verdicts with ``status == "ok"``
(a parsed choice). ``unparseable`` and ``error`` verdicts are counted in their own columns and
never enter a numerator or a denominator. Intervals are Wilson 95% score intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import RATE_COLUMNS, proportion_row, wilson
from ..stats import rates as _rates
from ..stats import with_intervals as _with_intervals


def ok_rows(verdicts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ok verdicts, only the columns asked for (taking every column of a wide frame is
    what costs at 100k rows)."""
    return verdicts.loc[verdicts["status"] == "ok", columns]


def accuracy(verdicts: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Judge accuracy per group (default: condition and judge).

    Columns: the group keys, ``verdicts`` (all statuses), ``unparseable``, ``error``, then
    ``n`` (ok verdicts), ``k`` (correct), ``rate`` = k / n and its Wilson interval. A condition
    is the protocol, split for one-sided protocols into correct- and incorrect-assigned halves
    (see `parse.condition_of`).
    """
    by = by or ["condition", "judge"]
    if verdicts.empty:
        return pd.DataFrame(columns=[*by, "verdicts", "unparseable", "error", *RATE_COLUMNS])
    counts = verdicts.groupby([*by, "status"], dropna=False).size().unstack("status", fill_value=0)
    counts = counts.reindex(columns=["ok", "unparseable", "error"], fill_value=0)
    counts["verdicts"] = counts.sum(axis=1)
    ok = verdicts[verdicts["status"] == "ok"]
    correct = ok.groupby(by, dropna=False)["is_correct"].sum().astype(int)
    table = counts.assign(n=counts["ok"], k=correct.reindex(counts.index, fill_value=0))
    table = table[["verdicts", "unparseable", "error", "n", "k"]].reset_index()
    return _with_intervals(table)


def status_counts(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Verdicts per run by status, with each unparseable/error share of all verdicts."""
    if verdicts.empty:
        return pd.DataFrame(columns=["run_id", "ok", "unparseable", "error", "verdicts"])
    table = (
        verdicts[["run_id", "status"]]
        .groupby(["run_id", "status"])
        .size()
        .unstack("status", fill_value=0)
    )
    table = table.reindex(columns=["ok", "unparseable", "error"], fill_value=0)
    table["verdicts"] = table.sum(axis=1)
    return table.reset_index()


PAIR_KEY = ["run_id", "item_id", "shown_set", "judge"]


def swap_pairs(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Complete position-swap pairs: one row per (run, item, answers shown, judge) that has an
    ok verdict both unswapped and swapped (the first of each side, in log order).

    Columns: the key, ``choice_a``/``choice_b`` (unswapped/swapped), ``first_a``/``first_b``
    (chose the first-shown answer), ``correct_a``/``correct_b``.
    """
    cols = [*PAIR_KEY, "choice", "chose_first", "is_correct"]
    ok = ok_rows(verdicts, [*cols, "swapped"]).drop_duplicates([*PAIR_KEY, "swapped"])
    plain = ok.loc[~ok["swapped"], cols]
    swapped = ok.loc[ok["swapped"], cols]
    pairs = plain.merge(swapped, on=PAIR_KEY, suffixes=("_a", "_b"))
    return pairs.rename(
        columns={
            "chose_first_a": "first_a",
            "chose_first_b": "first_b",
            "is_correct_a": "correct_a",
            "is_correct_b": "correct_b",
        }
    )


def position_bias(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per judge, from complete swap pairs (`swap_pairs`):

    - ``pairs``: complete pairs; ``first_pick`` (+ interval): share of their 2·pairs verdicts
      that chose the first-shown answer (0.5 = no position bias; 1 = always the first). The
      interval treats the 2·pairs verdicts as independent;
    - ``consistent``: share of pairs choosing the same answer in both orders (a judge that
      always takes the first answer: 0); ``both_first``/``both_second``: pairs that flipped
      with the display order;
    - ``paired_accuracy``: accuracy over the paired verdicts (the always-first judge: 0.5);
    - ``first_pick_all``: share over every ok verdict, paired or not (confounded with accuracy
      when the correct answer is not shown first half the time).
    """
    columns = [
        "judge", "pairs", "first_pick", "first_low", "first_high", "consistent",
        "consistent_low", "consistent_high", "both_first", "both_second", "paired_accuracy",
        "ok", "first_pick_all",
    ]  # fmt: skip
    pairs = swap_pairs(verdicts)
    ok = ok_rows(verdicts, ["judge", "chose_first"])
    pair_groups = dict(list(pairs.groupby("judge", sort=False)))
    rows = []
    for judge, group in ok.groupby("judge", sort=True):
        p = pair_groups.get(judge, pairs.iloc[:0])
        n = len(p)
        firsts = int(p["first_a"].sum() + p["first_b"].sum())
        same = int((p["choice_a"] == p["choice_b"]).sum())
        f_low, f_high = wilson(firsts, 2 * n)
        c_low, c_high = wilson(same, n)
        correct = int(p["correct_a"].sum() + p["correct_b"].sum())
        rows.append(
            {
                "judge": judge,
                "pairs": n,
                "first_pick": firsts / (2 * n) if n else np.nan,
                "first_low": f_low,
                "first_high": f_high,
                "consistent": same / n if n else np.nan,
                "consistent_low": c_low,
                "consistent_high": c_high,
                "both_first": int((p["first_a"] & p["first_b"]).sum()),
                "both_second": int((~p["first_a"] & ~p["first_b"]).sum()),
                "paired_accuracy": correct / (2 * n) if n else np.nan,
                "ok": len(group),
                "first_pick_all": float(group["chose_first"].astype(float).mean()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def seat_accuracy(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Accuracy by which seat argued for the correct answer (``correct_seat``: the role(s)
    whose assigned answer is the true one), per condition and judge; same counting rules as
    `accuracy`."""
    by = ["condition", "correct_seat", "judge"]
    seated = verdicts.loc[verdicts["correct_seat"].notna(), [*by, "status", "is_correct"]]
    return accuracy(seated, by)


def round_accuracy(readings: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Accuracy by round from per-round readings (see `frame.build_readings`: interim
    judgements, or credences on a turn with a ``round``), then "final": the verdicts of the same
    transcripts (unparseable and error verdicts in ``unscored``).

    A reading with a ``choice`` (interim status ok) is correct when that is the true answer;
    one with only credences is scored by its largest credence when that is unique (ties are
    not scored). ``unscored`` counts readings that could not be scored (unparseable interim
    judgements, ties). Readings count only for transcripts with a verdict in the selection.
    """
    columns = ["round", *RATE_COLUMNS, "unscored"]
    keep = readings[
        readings["round"].notna()
        & (readings["credences"].notna() | readings["status"].notna())
        & readings["transcript_id"].isin(verdicts["transcript_id"])
    ]
    if keep.empty:
        return pd.DataFrame(columns=columns)
    true = keep["correct"].to_numpy(dtype=float, na_value=np.nan)
    choice = keep["choice"].to_numpy(dtype=float, na_value=np.nan)
    creds = [c if c is not None else [] for c in keep["credences"]]
    width = max(1, *(len(c) for c in creds))
    matrix = np.array([[*c, *[np.nan] * (width - len(c))] for c in creds], float)
    with np.errstate(invalid="ignore"):
        top = np.nanmax(np.where(np.isnan(matrix), -np.inf, matrix), axis=1)
    unique_top = (matrix == top[:, None]).sum(axis=1) == 1
    pick = np.where(~np.isnan(choice), choice, np.where(unique_top, matrix.argmax(axis=1), np.nan))
    scorable = ~np.isnan(pick) & ~np.isnan(true)
    scored = pd.DataFrame(
        {
            "round": keep["round"].astype(int).to_numpy(),
            "ok": pd.array(np.where(scorable, pick == true, None), dtype="boolean"),
        }
    )
    table = _rates(scored, ["round"], "ok")
    unscored = scored[~scorable].groupby("round").size()
    table["unscored"] = table["round"].map(unscored).fillna(0).astype(int)
    missing = sorted(set(unscored.index) - set(table["round"]))
    if missing:  # rounds with nothing scorable at all
        extra = pd.DataFrame(
            {"round": missing, "n": 0, "k": 0, "unscored": unscored[missing].to_numpy()}
        )
        table = pd.concat([table, _with_intervals(extra)], ignore_index=True).sort_values("round")
    table["round"] = table["round"].astype(str).astype(object)
    same = verdicts[verdicts["transcript_id"].isin(keep["transcript_id"])]  # comparable
    final = same["is_correct"].dropna()
    last = {"round": "final", **proportion_row(int(final.sum()), len(final))}
    last["unscored"] = int((same["status"] != "ok").sum())
    return pd.concat([table[columns], pd.DataFrame([last])], ignore_index=True)
