"""Per-round credences on the page: with ``judge_each_round`` on, a small line chart of each
judge's credence in the true answer after every round, the last point being its verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import streamlit as st

from pages.widgets import role_name
from playground.protocols.judged_meta import InterimMeta
from playground.protocols.reading import turn_meta
from playground.records import Turn, Verdict
from playground.safetext import plot_text


@dataclass(frozen=True)
class Point:
    round: int
    credence: float | None
    """In the true answer; None when the judgement gave no readable credence."""
    final: bool


def credence_curves(
    turns: Sequence[Turn], verdicts: Sequence[Verdict], correct: int | None
) -> dict[str, list[Point]]:
    """Each judge's credence in the true answer after each round (its interim judgements),
    then at its verdict, placed after the last round argued. Empty without interim turns."""
    interim = [
        (t, m)
        for t in turns
        if t.round is not None and isinstance(m := turn_meta(t.meta), InterimMeta)
    ]
    if not interim or correct is None:
        return {}
    last = max((t.round for t in turns if t.round is not None), default=0)
    curves: dict[str, list[Point]] = {}
    for turn, meta in sorted(interim, key=lambda tm: (tm[0].round or 0, tm[0].index)):
        credences = meta.credences
        value = credences[correct] if credences else None
        curves.setdefault(turn.role, []).append(Point(turn.round or 0, value, False))
    for verdict in verdicts:
        if verdict.role in curves:
            value = verdict.credences[correct] if verdict.credences else None
            curves[verdict.role].append(Point(last, value, True))
    return curves


def credence_figure(curves: dict[str, list[Point]]) -> go.Figure:
    fig = go.Figure()
    for judge, points in curves.items():
        fig.add_scatter(
            x=[p.round for p in points],
            y=[p.credence for p in points],
            mode="lines+markers",
            name=plot_text(role_name(judge)),
            marker={"symbol": ["diamond" if p.final else "circle" for p in points], "size": 9},
            hovertemplate="after round %{x}: %{y:.0%}<extra>%{fullData.name}</extra>",
        )
    fig.add_hline(y=0.5, line_dash="dot", line_color="gray")
    fig.update_layout(
        template="plotly_white",
        height=240,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title={"text": "Judge's credence in the true answer", "font": {"size": 14}},
        xaxis={"title": "after round", "dtick": 1},
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        showlegend=len(curves) > 1,
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def render_credences(
    turns: Sequence[Turn], verdicts: Sequence[Verdict], correct: int | None, key: str
) -> None:
    """The chart, if the transcript has per-round judgements; the verdict is the diamond."""
    curves = credence_curves(turns, verdicts, correct)
    if curves:
        st.plotly_chart(credence_figure(curves), key=key, width="stretch")
        st.caption(
            "After each round but the last: the judge's interim judgement; the last point "
            "(◆) is its verdict. Gaps: no readable credence."
        )
