"""Results of a human study: progress, per-person accuracy (Wilson intervals), Brier, gold
checks, inter-rater agreement (Krippendorff's alpha, Fleiss' kappa), agreement with the model
judges on the same transcripts, accuracy over a stepped reveal, a leaderboard, and for approval
studies each rater's Spearman and AUC against the environment's true step values.

`study_frame` loads one row per submitted judgment; every other function is a pure function of
frames, tested against hand-computed values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ..protocols.approval.metrics import auc
from ..stats import fleiss_kappa, wilson
from ..store import Store
from ..store import studies as db
from .agreement import krippendorff_alpha
from .calibration import brier

FRAME_COLUMNS = [
    "person", "task_id", "transcript_id", "step", "gold", "answer", "choice", "credences",
    "is_correct", "seconds", "interim", "approval", "true_value", "good",
]  # fmt: skip


def study_frame(store: Store, study_id: str) -> pd.DataFrame:
    """One row per submitted judgment of a study (gold tasks included, flagged)."""
    rows = []
    for r in db.study_verdicts(store, study_id):
        m = r["metrics"] or {}
        rows.append(
            {
                "person": r["person"], "task_id": r["task_id"],
                "transcript_id": r["transcript_id"], "step": r["step"], "gold": bool(r["gold"]),
                "answer": r["answer"], "choice": r["choice"], "credences": r["credences"],
                "is_correct": r["is_correct"], "seconds": m.get("time_taken_s"),
                "interim": m.get("interim"), "approval": m.get("approval"),
                "true_value": m.get("true_value"), "good": m.get("good"),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def _credence_correct(row: Any) -> float:
    c, a = row["credences"], row["answer"]
    if c is None or a is None or (isinstance(a, float) and math.isnan(a)):
        return math.nan
    return float(c[int(a)])


def person_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per person: judgments done, gold checks passed, accuracy on ordinary tasks with its 95%
    Wilson interval, Brier score on the credence given to the true answer, mean seconds."""
    out = []
    for person, g in frame.groupby("person", sort=True):
        ordinary, gold = g[~g["gold"]], g[g["gold"]]
        scored = ordinary[ordinary["is_correct"].notna()]
        n, k = len(scored), int(scored["is_correct"].astype(bool).sum())
        low, high = wilson(k, n)
        p = scored.apply(_credence_correct, axis=1) if n else pd.Series(dtype=float)
        p = p.dropna()
        out.append(
            {
                "person": person, "done": len(g), "gold": len(gold),
                "gold_passed": int(gold["is_correct"].fillna(False).astype(bool).sum()),
                "scored": n, "correct": k, "accuracy": k / n if n else math.nan,
                "low": low, "high": high,
                "brier": brier(p.to_numpy()) if len(p) else math.nan,
                "mean_seconds": float(g["seconds"].mean()) if g["seconds"].notna().any()
                else math.nan,
            }
        )  # fmt: skip
    return pd.DataFrame(
        out,
        columns=["person", "done", "gold", "gold_passed", "scored", "correct", "accuracy",
                 "low", "high", "brier", "mean_seconds"],
    )  # fmt: skip


def leaderboard(people: pd.DataFrame) -> pd.DataFrame:
    """Judges ranked by accuracy (then lower Brier), ranks 1.."""
    board = people.sort_values(["accuracy", "brier"], ascending=[False, True], na_position="last")
    board = board[["person", "scored", "accuracy", "low", "high", "brier"]].reset_index(drop=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    return board


def task_table(tasks: list[dict[str, Any]], slots: list[dict[str, Any]]) -> pd.DataFrame:
    """Per task: judgments wanted (k; gold tasks: everyone), done and leased now."""
    rows = []
    for t in tasks:
        mine = [s for s in slots if s["task_id"] == t["id"]]
        rows.append(
            {
                "task_id": t["id"], "transcript_id": t["transcript_id"], "step": t["step"],
                "gold": bool(t["gold"]), "k": None if t["gold"] else t["k"],
                "done": sum(s["state"] == "done" for s in mine),
                "leased": sum(s["state"] == "leased" for s in mine),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["task_id", "transcript_id", "step", "gold", "k", "done",
                                       "leased"])  # fmt: skip


def agreement_table(frame: pd.DataFrame, categories: int | None = None) -> pd.DataFrame:
    """Inter-rater agreement on the ordinary tasks' choices: Krippendorff's alpha (nominal;
    raters may judge different tasks) over every task judged twice or more, and Fleiss' kappa
    over the tasks with the most common number m ≥ 2 of judgments (Fleiss needs equal m)."""
    data = frame[~frame["gold"] & frame["choice"].notna()]
    if data.empty:
        return pd.DataFrame(columns=["measure", "value", "tasks", "raters"])
    matrix = data.pivot_table(index="person", columns="task_id", values="choice", aggfunc="first")
    alpha = krippendorff_alpha(matrix.to_numpy(dtype=float))
    counts_per_task = data.groupby("task_id").size()
    rows = [{"measure": "krippendorff_alpha", "value": alpha,
             "tasks": int((counts_per_task >= 2).sum()), "raters": int(matrix.shape[0])}]  # fmt: skip
    many = counts_per_task[counts_per_task >= 2]
    if len(many):
        m = int(many.mode().max())
        chosen = many[many == m].index
        n_cat = categories or int(data["choice"].max()) + 1
        table = np.zeros((len(chosen), n_cat))
        for i, task in enumerate(chosen):
            for c in data.loc[data["task_id"] == task, "choice"].astype(int):
                table[i, c] += 1
        rows.append({"measure": "fleiss_kappa", "value": fleiss_kappa(table),
                     "tasks": len(chosen), "raters": m})  # fmt: skip
    return pd.DataFrame(rows)


def model_agreement(frame: pd.DataFrame, model_choices: dict[str, list[int]]) -> pd.DataFrame:
    """Per person: how often their choice matches a model judge's on the same transcript
    (``model_choices``: transcript id → the model judges' parsed choices, each a pair)."""
    rows = []
    for person, g in frame[frame["choice"].notna()].groupby("person", sort=True):
        pairs = [
            (int(c), m)
            for t, c in zip(g["transcript_id"], g["choice"], strict=True)
            for m in model_choices.get(t, [])
        ]
        agree = sum(c == m for c, m in pairs)
        rows.append({"person": person, "pairs": len(pairs), "agree": agree,
                     "rate": agree / len(pairs) if pairs else math.nan})  # fmt: skip
    return pd.DataFrame(rows, columns=["person", "pairs", "agree", "rate"])


def stepped_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Accuracy over the stepped reveal: after each speech, the share of judgments whose top
    credence is on the true answer, and the mean credence on it; the final verdict last."""
    rows: dict[int, list[float]] = {}
    hits: dict[int, list[bool]] = {}
    for interim, answer in zip(frame["interim"], frame["answer"], strict=True):
        if not interim or answer is None or (isinstance(answer, float) and math.isnan(answer)):
            continue
        for step in interim:
            c = step["credences"]
            rows.setdefault(step["after_speech"], []).append(c[int(answer)])
            hits.setdefault(step["after_speech"], []).append(int(np.argmax(c)) == int(answer))
    return pd.DataFrame(
        [{"after_speech": s, "n": len(rows[s]), "accuracy": float(np.mean(hits[s])),
          "credence_correct": float(np.mean(rows[s]))} for s in sorted(rows)],
        columns=["after_speech", "n", "accuracy", "credence_correct"],
    )  # fmt: skip


def approval_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per rater of an approval study: steps rated, mean approval, Spearman's rho against the
    steps' true values, AUC for telling good steps from bad, Brier against good."""
    out = []
    for person, g in frame[frame["approval"].notna()].groupby("person", sort=True):
        a = g["approval"].to_numpy(float)
        v = g["true_value"].to_numpy(float)
        good = g["good"].fillna(False).to_numpy(bool)
        rho = float(spearmanr(a, v).statistic) if len(a) >= 2 else math.nan
        area = auc(a, good)
        out.append({"person": person, "steps": len(a), "mean_approval": float(a.mean()),
                    "spearman": rho, "auc": math.nan if area is None else area,
                    "brier": float(np.mean((a - good) ** 2))})  # fmt: skip
    return pd.DataFrame(out, columns=["person", "steps", "mean_approval", "spearman", "auc",
                                      "brier"])  # fmt: skip


def model_choices_for(store: Store, transcript_ids: set[str]) -> dict[str, list[int]]:
    """The parsed choices of the model judges (every verdict that is not a person's) on the
    given transcripts."""
    from ..studies import HUMAN_ROLE

    out: dict[str, list[int]] = {}
    for transcript_id in sorted(transcript_ids):
        if transcript_id in out:
            continue
        one = store.get_transcript(transcript_id)
        if one is None:
            continue
        for t in store.transcripts_of(one.run_id):  # the whole run at once
            if t.id in transcript_ids:
                out[t.id] = [
                    v.choice
                    for _, v, _ in t.verdicts
                    if v.role != HUMAN_ROLE and v.status == "ok" and v.choice is not None
                ]
    return out


def study_tables(store: Store, study_id: str) -> dict[str, pd.DataFrame]:
    """Every table of a study's results, by name."""
    frame = study_frame(store, study_id)
    tasks, slots = db.tasks_of(store, study_id), db.slots_of(store, study_id)
    people = person_table(frame)
    tables = {"people": people, "tasks": task_table(tasks, slots)}
    if frame["approval"].notna().any():
        tables["approval"] = approval_table(frame)
        return tables
    n_answers = max((len(t["view"].get("answers", [])) for t in tasks), default=2)
    tables["leaderboard"] = leaderboard(people)
    tables["agreement"] = agreement_table(frame, n_answers)
    tables["model_agreement"] = model_agreement(
        frame, model_choices_for(store, set(frame["transcript_id"]))
    )
    tables["stepped"] = stepped_table(frame)
    return tables
