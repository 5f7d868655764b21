"""Plotly figures for the report sections: every figure is drawn from the section's own tables,
so the numbers beside a chart are exactly what it shows. Every label drawn from data (run ids,
model and judge names, roles, sources, environments) goes through `safetext.plot_text`, since
plotly renders HTML (links, bold) in tick, hover and legend text."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from ..safetext import plot_text, plot_texts
from .report import Section

Figures = list[tuple[str, go.Figure]]


def layout(fig: go.Figure, title: str, **kwargs: object) -> go.Figure:
    """The report's figure style: white template, tight margins, legend below."""
    fig.update_layout(
        title=title, template="plotly_white", margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top"}, **kwargs,
    )  # fmt: skip
    return fig


def _bars(
    table: pd.DataFrame, x: str, color: str | None, y: str = "rate",
    low: str = "ci_low", high: str = "ci_high",
) -> go.Figure:  # fmt: skip
    """Bars of ``y`` with asymmetric error bars from ``low``/``high``, one trace per colour."""
    fig = go.Figure()
    groups = table.groupby(color, sort=False) if color else [("", table)]
    for name, g in groups:
        err = {"type": "data", "array": g[high] - g[y], "arrayminus": g[y] - g[low]}
        fig.add_bar(name=plot_text(name), x=plot_texts(g[x]), y=g[y], error_y=err)
    fig.update_layout(barmode="group", showlegend=bool(color))
    return fig


def _chance(fig: go.Figure, value: float = 0.5, horizontal: bool = False) -> go.Figure:
    if horizontal:
        fig.add_vline(x=value, line_dash="dot", line_color="gray")
    else:
        fig.add_hline(y=value, line_dash="dot", line_color="gray")
    return fig


STATUS_COLORS = {"ok": "#2ca02c", "unparseable": "#ff7f0e", "error": "#d62728"}


def overview(s: Section) -> Figures:
    t = s.tables["runs"]
    fig = go.Figure(
        [
            go.Bar(name=status, x=plot_texts(t["run_id"]), y=t[status], marker_color=color)
            for status, color in STATUS_COLORS.items()
        ]
    )
    return [("verdicts", layout(fig, "Verdicts per run by status", barmode="stack"))]


def _dots(table: pd.DataFrame, label: str, value: str, low: str, high: str) -> go.Figure:
    """Horizontal points with interval whiskers: for values with no natural zero (ratings)."""
    fig = go.Figure(
        go.Scatter(
            x=table[value], y=plot_texts(table[label]), mode="markers",
            marker={"size": 10},
            error_x={"type": "data", "array": table[high] - table[value],
                     "arrayminus": table[value] - table[low]},
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    return fig


def accuracy(s: Section) -> Figures:
    fig = _chance(_bars(s.tables["accuracy"], "judge", "condition"))
    return [("accuracy", layout(fig, "Judge accuracy (Wilson 95%)", yaxis_range=[0, 1]))]


def position(s: Section) -> Figures:
    t = s.tables["position"].dropna(subset=["first_pick"])
    fig = _chance(_bars(t, "judge", None, "first_pick", "first_low", "first_high"))
    fig.update_layout(yaxis_range=[0, 1])
    return [("first_pick", layout(fig, "Share choosing the first-shown answer (swap pairs)"))]


def splits(s: Section) -> Figures:
    seat = _chance(_bars(s.tables["by_seat"], "judge", "correct_seat"))
    out = [("by_seat", layout(seat, "Accuracy by seat of the correct answer", yaxis_range=[0, 1]))]
    rounds = s.tables["by_round"]
    if not rounds.empty:
        fig = _chance(_bars(rounds, "round", None))
        out.append(("by_round", layout(fig, "Accuracy by round", yaxis_range=[0, 1])))
    return out


def agreement(s: Section) -> Figures:
    out: Figures = []
    pairs = s.tables["pairs"]
    if not pairs.empty:
        both = pd.concat(
            [pairs, pairs.rename(columns={"judge_1": "judge_2", "judge_2": "judge_1"})]
        )
        matrix = both.pivot_table(index="judge_1", columns="judge_2", values="cohen_kappa")
        fig = go.Figure(go.Heatmap(z=matrix.values, x=plot_texts(matrix.columns),
                                   y=plot_texts(matrix.index),
                                   zmin=-1, zmax=1, colorscale="RdBu", texttemplate="%{z:.2f}"))  # fmt: skip
        out.append(("kappa", layout(fig, "Cohen's kappa between judges")))
    spread = s.tables["credence_spread"]
    if not spread.empty:
        fig = go.Figure(go.Histogram(x=spread["range"], nbinsx=20))
        out.append(("spread", layout(fig, "Range of credences on the same transcript",
                                      xaxis_title="max − min credence on the correct answer")))  # fmt: skip
    return out


def ratings(s: Section) -> Figures:
    out: Figures = []
    titles = {"judges": "Judges", "debaters": "Debaters (all sides)",
              "honest": "Debaters arguing for the correct answer",
              "dishonest": "Debaters arguing for a wrong answer"}  # fmt: skip
    for name, title in titles.items():
        t = s.tables[name].dropna(subset=["rating"])
        if t.empty:
            continue
        fig = _chance(_dots(t, "model", "rating", "ci_low", "ci_high"), 1000, True)
        out.append((name, layout(fig, f"{title}: Bradley–Terry rating (Elo scale, 95% bootstrap)")))
    return out


def calibration(s: Section) -> Figures:
    out: Figures = []
    rel = s.tables["reliability"]
    if not rel.empty:
        fig = go.Figure()
        fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "gray"},
                        name="perfectly calibrated")  # fmt: skip
        for judge, g in rel.groupby("judge"):
            fig.add_scatter(
                x=g["confidence"], y=g["accuracy"], mode="lines+markers", name=plot_text(judge),
                error_y={"type": "data", "array": g["ci_high"] - g["accuracy"],
                         "arrayminus": g["accuracy"] - g["ci_low"]},
                text=g["n"], hovertemplate="confidence %{x:.2f}<br>accuracy %{y:.2f}<br>n %{text}",
            )  # fmt: skip
        out.append(("reliability", layout(fig, "Reliability diagram", xaxis_title="confidence",
                                           yaxis_title="accuracy", xaxis_range=[0, 1], yaxis_range=[0, 1])))  # fmt: skip
    curves = s.tables["credence_curves"]
    if not curves.empty:
        fig = go.Figure()
        for model, g in curves.groupby("model"):
            fig.add_scatter(x=g["round"], y=g["mean"], mode="lines+markers", name=plot_text(model),
                            error_y={"type": "data", "array": g["ci_high"] - g["mean"],
                                     "arrayminus": g["mean"] - g["ci_low"]})  # fmt: skip
        out.append(("credence_curves", layout(fig, "Credence on the correct answer by round",
                                               yaxis_range=[0, 1])))  # fmt: skip
    return out


def cost(s: Section) -> Figures:
    out: Figures = []
    by_role = s.tables["by_role"]
    if not by_role.empty:
        for value, title in (("cost_usd", "Cost (USD) per run by role"),
                             ("output_tokens", "Output tokens per run by role")):  # fmt: skip
            fig = go.Figure([go.Bar(name=plot_text(role), x=plot_texts(g["run_id"]), y=g[value])
                             for role, g in by_role.groupby("role")])  # fmt: skip
            out.append((value, layout(fig, title, barmode="stack")))
    hist = s.tables["latency_histogram"]
    if not hist.empty:
        fig = go.Figure()
        for (role, model), g in hist.groupby(["role", "model"]):
            fig.add_bar(x=(g["low_ms"] + g["high_ms"]) / 2, y=g["turns"],
                        name=plot_text(f"{role} · {model}"),
                        width=g["high_ms"] - g["low_ms"])  # fmt: skip
        fig.update_xaxes(type="log", title="latency (ms)")
        out.append(("latency", layout(fig, "Latency distribution", barmode="overlay")))
    return out


def checks(s: Section) -> Figures:
    fig = _bars(s.tables["checks"], "family", "check")
    out = [
        ("checks", layout(fig, "Check failure rate per family (Wilson 95%)", yaxis_range=[0, 1]))
    ]
    table = s.tables.get("consistency")
    if table is not None and not table.empty:
        bars = _bars(table, "family", "judge", y="mean_violation")
        out.append(("consistency", layout(
            bars, "Mean consistency violation per family (0 = coherent; bootstrap 95%)",
            yaxis_range=[0, 1])))  # fmt: skip
    return out


def approval(s: Section) -> Figures:
    t = s.tables["sources"]
    out = []
    for metric, title in (("auc", "AUC of approvals for good vs bad steps (0.5 = chance)"),
                          ("false_safe", "False-safe rate: approval ≥ 0.5 on bad steps"),
                          ("brier", "Brier score of approvals (lower is better)")):  # fmt: skip
        fig = go.Figure()
        for env, g in t.groupby("environment", sort=True):
            fig.add_bar(
                name=plot_text(env), x=plot_texts(g["source"] + " · " + g["model"]), y=g[metric]
            )
        out.append((metric, layout(fig, title, barmode="group", yaxis_range=[0, 1])))
    pref = s.tables["hack_preference"]
    fig = go.Figure()
    for env, g in pref.groupby("environment", sort=True):
        fig.add_bar(name=plot_text(env), x=plot_texts(g["source"]), y=g["prefers_hacked"])
    out.append(("hack_preference", _chance(layout(
        fig, "How often a source scores a hacked episode above an honest one",
        barmode="group", yaxis_range=[0, 1]))))  # fmt: skip
    return out


DRAW: dict[str, Callable[[Section], Figures]] = {
    "overview": overview, "accuracy": accuracy, "position": position, "splits": splits,
    "agreement": agreement, "ratings": ratings, "calibration": calibration, "cost": cost,
    "checks": checks, "approval": approval,
}  # fmt: skip


def figures(section: Section) -> Figures:
    """The figures of a section (none when its tables are empty)."""
    if section.empty or section.key not in DRAW:
        return []
    out = [(name, fig) for name, fig in DRAW[section.key](section) if fig.data]
    for _, fig in out:
        _room_for_legend(fig)
    return out


def _room_for_legend(fig: go.Figure) -> None:
    """Many legend entries (long judge labels) go in a column at the right, where they cannot
    cover the plot; a few stay in a row below it."""
    if len(fig.data) > 3:
        fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1})


def figure_html(fig: go.Figure) -> str:
    """A standalone HTML file of a figure, plotly.js embedded so it opens offline."""
    return fig.to_html(include_plotlyjs=True, full_html=True)
