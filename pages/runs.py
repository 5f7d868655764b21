"""Runs page: every logged run with its verdict counts and accuracy; open one to read its
transcripts, verdicts and provenance, and download its JSONL export."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import streamlit as st

from pages.widgets import (
    fmt_cost,
    fmt_int,
    fmt_pct,
    get_store,
    render_item,
    render_transcript,
    require_app,
)
from playground.export import write_jsonl
from playground.records import Verdict
from playground.safetext import md_code, md_line
from playground.store import RunInfo, Store, TranscriptView


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def prompt_versions(info: RunInfo) -> list[str]:
    """``prompt_id@hash8`` of each seat's prompt in a run: the label the Prompts page and the
    analysis views use, and a valid pin in an experiment file."""
    roles = info.config.get("provenance", {}).get("roles", {})
    return sorted(
        {
            f"{role['prompt_id']}@{role['prompt_hash'][:8]}"
            for role in roles.values()
            if role.get("prompt_id") and role.get("prompt_hash")
        }
    )


def runs_table(runs: list[RunInfo]) -> None:
    rows = [
        {
            "Run": r.id,
            "Name": r.name,
            "Protocol": r.protocol,
            "Status": r.status,
            "Transcripts": r.transcripts,
            "OK": r.verdicts.get("ok", 0),
            "Unparseable": r.verdicts.get("unparseable", 0),
            "Error": r.verdicts.get("error", 0),
            "Accuracy": None if r.accuracy is None else 100 * r.accuracy,
            "Tokens": r.input_tokens + r.output_tokens,
            "Cost": r.cost_usd,
            "Source": r.source,
            "Prompts": ", ".join(prompt_versions(r)),
            "Created": r.created_at,
        }
        for r in runs
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "OK": st.column_config.NumberColumn("OK", help="Verdicts that parsed"),
            "Accuracy": st.column_config.NumberColumn(
                "Accuracy", format="%.1f%%", help="Correct / OK verdicts"
            ),
            "Tokens": st.column_config.NumberColumn("Tokens", format="localized"),
            "Cost": st.column_config.NumberColumn("Cost", format="$%.4f"),
            "Created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm:ss"),
        },
    )


def run_header(store: Store, info: RunInfo) -> None:
    st.subheader(md_line(info.name))
    facts = [
        md_code(info.id),
        md_line(info.protocol),
        md_line(info.dataset or "no dataset"),
        f"from the {md_line(info.source)}",
        md_line(info.status),
        f"created {when(info.created_at)}",
        f"finished {when(info.finished_at)}",
        f"playground {md_line(info.playground_version)}",
    ]
    st.caption(" · ".join(facts + [f"tag {md_code(t)}" for t in info.tags]))
    ok, bad, err = (info.verdicts.get(s, 0) for s in ("ok", "unparseable", "error"))
    cells = st.columns(7)
    cells[0].metric("Transcripts", fmt_int(info.transcripts))
    cells[1].metric("OK verdicts", fmt_int(ok))
    cells[2].metric("Unparseable", fmt_int(bad))
    cells[3].metric("Errors", fmt_int(err))
    cells[4].metric(
        "Accuracy", fmt_pct(info.accuracy), help=f"{info.correct} correct of {info.scored} scored"
    )
    tokens = f"{fmt_int(info.input_tokens)} in, {fmt_int(info.output_tokens)} out"
    cells[5].metric("Tokens", fmt_int(info.input_tokens + info.output_tokens), help=tokens)
    cells[6].metric("Cost", fmt_cost(info.cost_usd))
    export = io.StringIO()
    count = write_jsonl(store, export, info.id)
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left.expander("Configuration and provenance (JSON)"):
        st.json(info.config, expanded=2)
    right.download_button(
        f"Export JSONL ({count} verdict{'' if count == 1 else 's'})",
        export.getvalue(),
        file_name=f"{info.id}.jsonl",
        mime="application/jsonl",
        icon=":material/download:",
        width="stretch",
    )


def verdict_summary(verdict: Verdict, is_correct: bool | None) -> str:
    """A few words for tables and labels: correct, wrong, not scored (a measurement, or an
    item without a true answer), unparseable or error."""
    if verdict.status != "ok":
        return verdict.status
    if is_correct is None:
        return "ok"
    return "correct" if is_correct else "wrong"


def transcript_label(number: int, view: TranscriptView) -> str:
    summaries = [verdict_summary(v, c) for _, v, c in view.verdicts]
    if len(summaries) > 3:  # an approval episode: a verdict per step and source
        counts = {s: summaries.count(s) for s in dict.fromkeys(summaries)}
        summaries = [f"{n} {s}" for s, n in counts.items()]
    outcome = ", ".join(summaries) or view.status
    swapped = " · swapped" if view.assignment.swapped else ""
    return f"{number} · {view.item.id}{swapped} · {outcome}"


def transcripts(store: Store, info: RunInfo) -> None:
    views = store.transcripts_of(info.id)
    st.subheader(f"Transcripts ({len(views)})")
    if not views:
        st.caption("This run has no transcripts.")
        return
    labels = [transcript_label(n, v) for n, v in enumerate(views, 1)]
    chosen = 0
    if len(views) > 1:
        chosen = st.selectbox(
            "Open transcript",
            range(len(views)),
            format_func=labels.__getitem__,
            key=f"transcript.{info.id}",
        )
    view = views[chosen]
    rounds = info.config.get("provenance", {}).get("options", {}).get("rounds")
    with st.container(border=True):
        st.markdown(f"**Transcript {md_line(labels[chosen])}**")
        render_item(view.item, reveal=True)
    render_transcript(view, rounds)


require_app()
st.title("Runs")
st.caption(
    "Every run in the store, from any page or the command line. Accuracy counts scored "
    "verdicts only: unparseable and error verdicts are counted apart, never as wrong, and "
    "measurements (consistency checks, approvals) choose nothing to score."
)
store = get_store()
runs = store.list_runs()
if not runs:
    st.info("No runs yet: run a debate on the Debate page, or `playground run experiment.toml`.")
    st.page_link("pages/debate.py", label="Go to the Debate page", icon=":material/forum:")
    st.stop()

versions = sorted({v for r in runs for v in prompt_versions(r)})
chosen = st.multiselect(
    "Prompt version",
    versions,
    key="runs.prompts",
    placeholder="Any",
    help="Only runs in which some seat used one of these prompt versions (id@hash8).",
)
if chosen:
    runs = [r for r in runs if set(prompt_versions(r)) & set(chosen)]
runs_table(runs)
if not runs:
    st.info("No run used these prompt versions.")
    st.stop()
by_id = {r.id: r for r in runs}
wanted = st.query_params.get("run")
run_id = st.selectbox(
    "Open run",
    list(by_id),
    index=list(by_id).index(wanted) if wanted in by_id else 0,
    format_func=lambda i: f"{i} · {by_id[i].name} · {by_id[i].status}",
)
st.query_params["run"] = run_id
st.divider()
run_header(store, by_id[run_id])
transcripts(store, by_id[run_id])
