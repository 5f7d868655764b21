"""The analysis as sections of named tables: one definition that the Analysis page draws (with
charts) and ``playground report`` prints. The sections every judged run gets are here; each
registered protocol adds its own (`Protocol.sections`), so this module names no protocol."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from ..protocols.registry import report_sections
from ..protocols.spec import ReportSection
from . import agreement, calibration, costs, metrics, paired, ratings
from .frame import Frames
from .parse import ITEM_PREFIX

NO_DATA = "no data for this yet"


@dataclass
class Section:
    """A titled group of tables; an empty table is shown as `NO_DATA` with its ``notes`` entry."""

    key: str
    title: str
    about: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    """Per table: what would fill it, shown when it is empty."""

    @property
    def empty(self) -> bool:
        return all(t.empty for t in self.tables.values())


def _overview(f: Frames, reps: int) -> Section:
    counts = metrics.status_counts(f.verdicts)
    runs = f.runs[["run_id", "run_name", "protocol", "dataset", "status", "tags", "created_at"]]
    table = runs.merge(counts, on="run_id", how="inner")
    table["tags"] = table["tags"].map(", ".join)
    return Section(
        "overview",
        "Runs and verdicts",
        "Verdicts per run by status. Unparseable and error verdicts are counted here and never "
        "enter accuracy.",
        {"runs": table},
        {"runs": "log a run (Debate page or `playground run`)"},
    )


def _accuracy(f: Frames, reps: int) -> Section:
    return Section(
        "accuracy",
        "Judge accuracy",
        "Correct / ok verdicts per condition and judge, Wilson 95% interval; unparseable and "
        "error verdicts in their own columns. One-sided protocols split into correct- and "
        "incorrect-assigned halves.",
        {"accuracy": metrics.accuracy(f.verdicts)},
    )


def _paired(f: Frames, reps: int, cluster: str = "item_key") -> Section:
    by = "items: a question and its swapped copy move together"
    if cluster != "item_key":
        by = f"{cluster.removeprefix(ITEM_PREFIX)}: every verdict sharing it moves together"
    return Section(
        "paired",
        "Clustered intervals and paired comparisons",
        "Accuracy per condition and judge with the clustered standard error and a "
        f"cluster-bootstrap 95% interval (clusters = {by}; an item without the field is its "
        "own cluster). Paired comparisons: every two arms (condition · judge) judged on the "
        "same items shown the same way — accuracy B − A with its paired cluster-bootstrap "
        "interval and McNemar's exact p on the pairs where both verdicts are ok.",
        {
            "clustered_accuracy": paired.clustered_accuracy(f.verdicts, cluster, reps=reps),
            "comparisons": paired.paired_comparisons(f.verdicts, reps=reps, cluster=cluster),
        },
        {"comparisons": "needs two conditions or judges on the same items"},
    )


def _position(f: Frames, reps: int) -> Section:
    return Section(
        "position",
        "Position bias",
        "From position-swapped pairs: how often the judge picks the first-shown answer "
        "(0.5 = unbiased), how often a pair and its swap agree, and accuracy over the pairs.",
        {"position": metrics.position_bias(f.verdicts)},
        {"position": "run with swap_positions = true"},
    )


def _splits(f: Frames, reps: int) -> Section:
    return Section(
        "splits",
        "Accuracy by seat and by round",
        "Which seat argued for the correct answer; accuracy after each round from per-round "
        "judgements (option judge_each_round), with the same transcripts' final verdicts last.",
        {
            "by_seat": metrics.seat_accuracy(f.verdicts),
            "by_round": metrics.round_accuracy(f.readings, f.verdicts),
        },
        {"by_round": "needs per-round judgements: run with judge_each_round = true"},
    )


def _agreement(f: Frames, reps: int) -> Section:
    summary, pairs, spread = agreement.agreement(f.verdicts)
    note = "needs transcripts judged more than once: a judge panel (judges = [...]) or a rejudge"
    return Section(
        "agreement",
        "Cross-judge agreement",
        "Transcripts with verdicts from several judges: percent agreement, Fleiss' kappa "
        "(all raters) and Cohen's kappa (per pair), and the spread of their credences.",
        {"agreement": summary, "pairs": pairs, "credence_spread": spread},
        {"agreement": note, "pairs": note, "credence_spread": note},
    )


def _ratings(f: Frames, reps: int) -> Section:
    boards = ratings.debater_boards(f.verdicts, reps=reps)
    return Section(
        "ratings",
        "Ratings",
        "Bradley–Terry ratings on the Elo scale (1000 = average; +400 = 10:1 odds) with "
        "item-bootstrap 95% intervals, and win rates with Wilson intervals. Judges are rated on "
        "head-to-head comparisons on the same item. TrueSkill (μ, σ, μ − 3σ) plays the "
        "debates between different models in the order they were judged.",
        {
            "judges": ratings.judge_board(f.verdicts, reps=reps),
            "debaters": boards["overall"],
            "honest": boards["honest"],
            "dishonest": boards["dishonest"],
            "trueskill": ratings.trueskill_board(ratings.debate_matches(f.verdicts)),
        },
        {
            "debaters": "needs two different debater models in the selection",
            "honest": "needs debates with an honest and a dishonest seat",
            "dishonest": "needs debates with an honest and a dishonest seat",
            "trueskill": "needs two different debater models in the selection",
        },
    )


def _calibration(f: Frames, reps: int) -> Section:
    return Section(
        "calibration",
        "Calibration",
        "Judge confidence (credence on the chosen answer) against accuracy: reliability "
        "diagram, Brier score, expected calibration error; credence on the correct answer "
        "across rounds.",
        {
            "calibration": calibration.calibration_summary(f.verdicts),
            "reliability": calibration.reliability(f.verdicts),
            "credence_curves": calibration.credence_curves(f.readings, f.verdicts),
        },
        {
            "calibration": "needs verdicts with credences",
            "reliability": "needs verdicts with credences",
            "credence_curves": "needs per-round judgements: run with judge_each_round = true",
        },
    )


def _cost(f: Frames, reps: int) -> Section:
    return Section(
        "cost",
        "Cost, tokens and latency",
        "Every call's tokens and cost per run and per role (sums of what servers reported; "
        "unknown counts turns that reported nothing), and latency quantiles.",
        {
            "by_run": costs.cost_by_run(f.usage),
            "by_role": costs.cost_by_role(f.usage),
            "latency": costs.latency_summary(f.usage),
            "latency_histogram": costs.latency_histogram(f.usage),
        },
    )


GENERIC: dict[str, Callable[[Frames, int], Section]] = {
    "overview": _overview, "accuracy": _accuracy, "paired": _paired, "position": _position, "splits": _splits,
    "agreement": _agreement, "ratings": _ratings, "calibration": _calibration, "cost": _cost,
}  # fmt: skip
"""The sections every run gets by key, in report order; the protocols' sections follow."""

LATER = [_cost, _splits, _calibration]
"""Sections reading turn aggregates (loaded first) or readings (then): computed last, in this
order, while those finish loading (a protocol's with ``reads_turns`` after them)."""

MEASURED = [_overview, _cost]
"""Sections that read every verdict; the others read judge decisions only (`decisions`)."""


def _joined(parts: list[ReportSection]) -> Callable[[Frames, int], Section]:
    """One section from the registered parts sharing a key (see `ReportSection`)."""

    def build(frames: Frames, reps: int) -> Section:
        tables: dict[str, pd.DataFrame] = {}
        notes: dict[str, str] = {}
        for part in parts:
            tables |= part.tables(frames, reps)
            notes |= part.notes
        title = " and ".join(dict.fromkeys(part.title for part in parts))
        about = " ".join(part.about for part in parts)
        return Section(parts[0].key, title, about, tables, notes)

    return build


def decisions(frames: Frames) -> Frames:
    """The frames with only verdicts that decide between answers: a consistency check's or an
    approval's verdict carries measurements (``metrics``) and no choice, and is not a judge
    decision to score, pair or rate (judge-consistency verdicts do choose, and stay)."""
    v = frames.verdicts
    keep = v["metrics"].isna() | v["choice"].notna()
    if bool(keep.all()):
        return frames
    judged = copy.copy(frames)
    judged.verdicts = v[keep.to_numpy()].reset_index(drop=True)
    return judged


def build_report(frames: Frames, reps: int = 200, cluster: str = "item") -> list[Section]:
    """Every section, computed on ``frames`` (already filtered); ``reps`` bootstrap replicates;
    ``cluster`` what the clustered intervals resample (`paired.cluster_column`: ``item``, an
    item metadata field such as ``article_id``, or a verdict-frame column; a ValueError names
    the fields there are). The protocols' sections come from the registry as it stands."""
    column = paired.cluster_column(frames.verdicts, cluster)
    groups = report_sections()
    added = [_joined(parts) for parts in groups]
    every = [any(p.every_verdict for p in parts) for parts in groups]
    late = [any(p.reads_turns for p in parts) for parts in groups]
    builders = [
        *(partial(_paired, cluster=column) if b is _paired else b for b in GENERIC.values()),
        *added,
    ]
    measured = set(MEASURED) | {b for b, e in zip(added, every, strict=True) if e}
    later = [*LATER, *(b for b, lt in zip(added, late, strict=True) if lt)]
    order = [b for b in builders if b not in later] + later
    judged = decisions(frames)
    done = {build: build(frames if build in measured else judged, reps) for build in order}
    return [done[build] for build in builders]


def section_keys() -> list[str]:
    """The keys of every section `build_report` returns, in order (``--section`` choices)."""
    return [*GENERIC, *(parts[0].key for parts in report_sections())]


def render_text(sections: list[Section], width: int = 160, max_rows: int = 30) -> str:
    """The sections as plain text tables, as ``playground report`` prints them (at most
    ``max_rows`` rows of each table)."""
    out: list[str] = []
    with pd.option_context(
        "display.width", width, "display.max_columns", None, "display.max_colwidth", 60,
        "display.float_format", "{:.4g}".format,
    ):  # fmt: skip
        for section in sections:
            out += [f"== {section.title} ==", section.about, ""]
            for name, table in section.tables.items():
                out.append(f"-- {name} --")
                if table.empty:
                    note = section.notes.get(name)
                    out.append(NO_DATA + (f" ({note})" if note else ""))
                else:
                    out.append(table.head(max_rows).to_string(index=False))
                    if len(table) > max_rows:
                        out.append(f"… {len(table) - max_rows} more rows (--csv-dir writes all)")
                out.append("")
    return "\n".join(out)
