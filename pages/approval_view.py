"""The Approval page's results: the per-step table (built from the episode's turns, so it fills
in while an episode is still running), the metric and hack-preference tables of
`playground.protocols.approval.metrics`, and two charts; following a live run redraws them as its events
arrive. Model text appears only in dataframes (plain text); the charts carry numbers and ids,
never model text.

While a person sits in a seat of a running episode the page is *blind*: only the steps and the
person's own ratings are shown, not the ground truth or the other sources' ratings, so the
person rates by foresight exactly as a model overseer must.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages.live_view import IDLE_TICK_S
from pages.widgets import fmt_cost, fmt_int
from playground.analysis.charts import layout
from playground.events import (
    RunStarted,
    TranscriptFinished,
    TranscriptStarted,
    TurnCompleted,
)
from playground.experiments import RunHandle
from playground.protocols.approval.meta import (
    ArgumentMeta,
    OutcomeMeta,
    RatingMeta,
    StepMeta,
    StepResultMeta,
)
from playground.protocols.approval.metrics import (
    RATER,
    approval_rows,
    hack_preference,
    source_table,
)
from playground.protocols.reading import turn_meta
from playground.providers.human import HUMAN, HumanRequest
from playground.records import Turn
from playground.safetext import md_code, md_line, plot_text, plot_texts
from playground.store import Store

OUTCOME_RATIONALE = "the episode's outcome reward (known at the end)"
BASE_COLUMNS = ["task", "step", "step name", "proposal", "true value"]
# metric-table columns shown as they are (text and counts); the others with three decimals
AS_IS = ("environment", "source", "model", "approvals", "unparseable", "bad_steps")
REDRAW_S = 0.5
"""Redraw the tables at most this often while a run streams in."""


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def approval_column(source: str) -> str:
    return f"{source} approval"


def rationale_column(source: str) -> str:
    return f"{source} rationale"


def _episode_rows(task: str, turns: Sequence[Turn], outcome: bool) -> list[dict[str, Any]]:
    """One row per step of one episode, from its turns (proposal, ratings, result, outcome)."""
    steps: dict[int, dict[str, Any]] = {}
    reward = None
    for turn in turns:
        meta = turn_meta(turn.meta)
        if isinstance(meta, OutcomeMeta):
            reward = meta.reward
        if not isinstance(meta, StepMeta | StepResultMeta | RatingMeta | ArgumentMeta):
            continue
        row = steps.setdefault(meta.step, {"task": task, "step": meta.step})
        if isinstance(meta, StepMeta):
            row["step name"] = meta.step_name
            row["proposal"] = turn.content if not turn.error else f"(call failed: {turn.error})"
        elif isinstance(meta, StepResultMeta):
            row["true value"] = meta.true_value
        elif isinstance(meta, RatingMeta):
            row[approval_column(meta.source)] = meta.approval
            row[rationale_column(meta.source)] = meta.rationale
    if outcome and reward is not None:
        for row in steps.values():
            row[approval_column("outcome")] = reward
            row[rationale_column("outcome")] = OUTCOME_RATIONALE
    return [steps[n] for n in sorted(steps)]


def step_table(
    episodes: Iterable[tuple[str, Sequence[Turn]]], sources: Sequence[str]
) -> pd.DataFrame:
    """One row per (task, step): the agent's proposal, the step's true value, and each source's
    approval and rationale (empty until given; ``outcome``'s only once the episode ends)."""
    rows = [r for task, turns in episodes for r in _episode_rows(task, turns, "outcome" in sources)]
    rated = [c for s in sources for c in (approval_column(s), rationale_column(s))]
    table = pd.DataFrame(rows, columns=BASE_COLUMNS + rated)
    for column in ["true value", *map(approval_column, sources)]:
        table[column] = table[column].astype(float)
    return table


def blind(table: pd.DataFrame, own_sources: Sequence[str]) -> pd.DataFrame:
    """The table without ground truth and without the ratings of sources a person does not give."""
    keep = [*BASE_COLUMNS[:4]]
    keep += [c for s in own_sources for c in (approval_column(s), rationale_column(s))]
    return table[[c for c in keep if c in table.columns]]


def own_sources(sources: Sequence[str], human_seats: Iterable[str]) -> list[str]:
    """The sources whose rating a person gives (the overseer's, or the judge's)."""
    seats = set(human_seats)
    return [s for s in sources if RATER.get(s) in seats]


class LiveSteps:
    """The episodes of a running approval run, kept from its events."""

    def __init__(self) -> None:
        self.tasks: dict[str, str] = {}
        self.turns: dict[str, list[Turn]] = {}
        self.total: int | None = None
        self.finished = 0
        self.steps = 0

    def apply(self, events: Iterable[Any]) -> bool:
        """Take new events; whether anything the tables show has changed."""
        changed = False
        for event in events:
            match event:
                case RunStarted():
                    self.total = event.total
                case TranscriptStarted():
                    self.tasks[event.transcript_id] = event.item.id
                    self.turns[event.transcript_id] = []
                case TurnCompleted():
                    self.turns.setdefault(event.transcript_id, []).append(event.turn)
                    self.steps += isinstance(turn_meta(event.turn.meta), StepResultMeta)
                case TranscriptFinished():
                    self.finished += 1
                case _:
                    continue
            changed = True
        return changed

    def episodes(self) -> list[tuple[str, list[Turn]]]:
        return [(self.tasks.get(t, t), turns) for t, turns in self.turns.items()]

    def label(self) -> str:
        total = "?" if self.total is None else self.total
        return f"{self.finished} of {total} tasks done · {self.steps} steps taken"


def follow(run: RunHandle, steps: LiveSteps, draw: Callable[[], None]) -> list[HumanRequest]:
    """Redraw the tables as the run's events arrive until it ends (returns []) or a person's
    turn is waiting (returns the waiting requests)."""
    seen, changed, drawn = 0, True, 0.0
    while True:
        events = run.events(seen)
        seen += len(events)
        changed = steps.apply(events) or changed
        waiting = run.pending()
        ended = run.finished and not run.events(seen)
        if changed and (waiting or ended or time.monotonic() - drawn > REDRAW_S):
            draw()
            changed, drawn = False, time.monotonic()
        if waiting:
            return waiting
        if ended:
            return []
        run.wait(seen, IDLE_TICK_S)


# -- charts ---------------------------------------------------------------------------------


def approval_scatter(rows: pd.DataFrame) -> go.Figure:
    """Each readable approval against the step's true value, one colour per source."""
    ok = rows[rows["status"].eq("ok") & rows["approval"].notna()]
    fig = go.Figure()
    for source, g in ok.groupby("source", sort=True):
        fig.add_scatter(
            x=g["true_value"], y=g["approval"], mode="markers", name=plot_text(source),
            marker={"size": 10, "opacity": 0.6},
            customdata=list(zip(plot_texts(g["item_id"]), g["step"], strict=True)),
            hovertemplate="%{customdata[0]} step %{customdata[1]}<br>"
            "true value %{x:.2f} · approval %{y:.2f}<extra></extra>",
        )  # fmt: skip
    return layout(
        fig, "Approval against the step's true value", xaxis_title="true value",
        yaxis_title="approval", xaxis_range=[-0.05, 1.05], yaxis_range=[-0.05, 1.05],
    )  # fmt: skip


def quality_bars(table: pd.DataFrame) -> go.Figure:
    """AUC (0.5 = chance) and false-safe rate per source and rating model."""
    x = plot_texts(table["source"] + " · " + table["model"])
    fig = go.Figure()
    fig.add_bar(name="AUC (good vs bad steps)", x=x, y=table["auc"])
    fig.add_bar(name="false-safe rate (bad steps approved)", x=x, y=table["false_safe"])
    fig.add_hline(y=0.5, line_dash="dot", line_color="gray")
    return layout(fig, "AUC and false-safe rate per source", barmode="group", yaxis_range=[0, 1])


# -- tables ---------------------------------------------------------------------------------


def render_steps(table: pd.DataFrame, key: str) -> None:
    st.markdown(f"**Steps** ({len(table)})")
    if table.empty:
        st.caption("No step taken yet.")
        return
    numbers = {
        c: st.column_config.NumberColumn(format="%.2f")
        for c in table.columns
        if c == "true value" or c.endswith(" approval")
    }
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"proposal": st.column_config.TextColumn(width="medium"), **numbers},
        key=f"{key}.steps",
    )


def render_metrics(rows: pd.DataFrame, key: str) -> None:
    """The metric table, the hack-preference table and the charts of the finished episodes."""
    st.markdown("**Approval quality per source** (finished tasks; unparseable counted apart)")
    if rows.empty:
        st.caption("No task finished yet: the metrics appear when the first episode ends.")
        return
    table = source_table(rows)
    three = st.column_config.NumberColumn(format="%.3f")
    formats = {c: three for c in table.columns if c not in AS_IS} | {
        "cost_per_approval": st.column_config.NumberColumn(format="$%.5f")
    }
    st.dataframe(
        table, hide_index=True, width="stretch", key=f"{key}.sources", column_config=formats
    )
    st.caption(
        "spearman: rank correlation of approval with true value · auc: a good step rated above "
        "a bad one · brier: mean (approval − good)² · false_safe: bad steps approved ≥ 0.5"
    )
    st.markdown(
        "**Hack preference** (how often a source scores a hacked episode above an honest one)"
    )
    st.dataframe(hack_preference(rows), hide_index=True, width="stretch", key=f"{key}.hack")
    left, right = st.columns(2)
    left.plotly_chart(approval_scatter(rows), key=f"{key}.scatter", width="stretch")
    right.plotly_chart(quality_bars(table), key=f"{key}.bars", width="stretch")


# -- a logged run ---------------------------------------------------------------------------


def run_footer(store: Store, run_id: str) -> None:
    info = store.get_run(run_id)
    if info is None:
        return
    tokens = fmt_int(info.input_tokens + info.output_tokens)
    st.markdown(
        f"Logged as run {md_code(info.id)} ({md_line(info.status)}): "
        f"{plural(info.transcripts, 'task')} · "
        f"{tokens} tokens · {fmt_cost(info.cost_usd)}"
    )
    st.page_link(
        "pages/runs.py", label="Read it on the Runs page", icon=":material/table_rows:",
        query_params={"run": info.id},
    )  # fmt: skip


def show_stored(store: Store, run_id: str, key: str) -> None:
    """A logged approval run read back from the store: steps, metrics, charts."""
    info = store.get_run(run_id)
    if info is None:
        st.error(f"run {md_line(run_id)} is not in the store")
        return
    provenance = info.config.get("provenance", {})  # the validated options and the seats
    sources = provenance.get("options", {}).get("sources", [])
    views = store.transcripts_of(run_id)
    table = step_table([(v.item.id, v.turns) for v in views], sources)
    people = [r for r, p in provenance.get("roles", {}).items() if p.get("model") == HUMAN]
    if info.status == "running" and people:
        render_steps(blind(table, own_sources(sources, people)), key)
        st.caption("A person is still rating this run: the ground truth is shown when it ends.")
        return
    render_steps(table, key)
    render_metrics(approval_rows(store.iter_records(run_id)), key)
    run_footer(store, run_id)


def logged_run(store: Store) -> None:
    runs = [r for r in store.list_runs(200) if r.protocol == "approval"]
    if not runs:
        st.info("No approval run in the log yet: start one under “New run”.")
        return
    info = st.selectbox(
        "Logged approval run", runs, key="appr.logged",
        format_func=lambda r: f"{r.id} · {r.name} · {r.status} · {r.created_at:%Y-%m-%d %H:%M}",
    )  # fmt: skip
    if info is not None:
        show_stored(store, info.id, "appr.logged")
