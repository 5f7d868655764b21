"""Analysis page: pick a cohort of verdicts with the sidebar filters, then read every metric as
a chart with its numbers beside it (the same tables `playground report` prints), download any
table as CSV and any figure as HTML, and export the selection."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from pages.widgets import get_store, require_app
from playground.analysis import NO_DATA, Filters, apply, build_report, choices, load_frames
from playground.analysis.charts import figure_html, figures
from playground.analysis.frame import Frames
from playground.analysis.paired import ITEM, item_fields
from playground.analysis.report import Section
from playground.export import write_jsonl
from playground.export.extras import INSPECT_EXTRA, inspect_installed
from playground.export.flat import flat_tables, table_bytes
from playground.export.markdown import item_markdown, run_items, safe_name
from playground.safetext import md_code, md_line
from playground.store import Store
from playground.store.queries import log_version
from playground.store.tags import parse_tags, set_run_tags

REPS = 200


def data_version(store: Store) -> str:
    """Changes whenever verdicts are added or runs change (status, tags): the cache key."""
    return log_version(store)


@st.cache_resource(show_spinner="Loading verdicts…", max_entries=2)
def cached_frames(url: str, version: str) -> Frames:
    """Loaded once per store version and shared, not copied: nothing here mutates frames."""
    return load_frames(get_store())


@st.cache_resource(max_entries=2)
def cached_choices(url: str, version: str) -> dict:
    return choices(cached_frames(url, version))


@st.cache_data(show_spinner="Computing metrics…", max_entries=8)
def cached_report(
    url: str, version: str, filters_key: str, reps: int, cluster: str = ITEM
) -> list[Section]:
    frames = apply(cached_frames(url, version), filters_from_key(filters_key))
    return build_report(frames, reps=reps, cluster=cluster)


def filters_key(f: Filters) -> str:
    return json.dumps(asdict(f), default=str, sort_keys=True)


def filters_from_key(key: str) -> Filters:
    data = json.loads(key)
    for name in ("since", "until"):
        data[name] = date.fromisoformat(data[name]) if data[name] else None
    return Filters(**data)


def sidebar_filters(c: dict) -> Filters:
    names = c["run_names"]
    sb = st.sidebar
    sb.header("Filters")
    f = Filters(
        runs=sb.multiselect("Runs", c["runs"], key="an.runs",
                            format_func=lambda r: f"{names.get(r, r)} · {r}"),
        tags=sb.multiselect("Tags (any of)", c["tags"], key="an.tags"),
        exclude_tags=sb.multiselect("Exclude tags", c["tags"], key="an.exclude_tags"),
        protocols=sb.multiselect("Protocols", c["protocols"], key="an.protocols"),
        datasets=sb.multiselect("Datasets", c["datasets"], key="an.datasets"),
    )  # fmt: skip
    with sb.expander("Models, prompts and options"):
        for role, models in c["models"].items():
            f.models[role] = st.multiselect(
                f"Model: {md_line(role)}", models, key=f"an.model.{role}"
            )
        for role, prompts in c["prompts"].items():
            f.prompts[role] = st.multiselect(
                f"Prompt: {md_line(role)}", prompts, key=f"an.prompt.{role}"
            )
        for name, values in c["options"].items():
            f.options[name] = st.multiselect(
                f"Option: {md_line(name)}", values, key=f"an.option.{name}"
            )
    first, last = c["dates"]
    if first is not None:
        picked = sb.date_input("Run dates", (first, last), key="an.dates")
        if isinstance(picked, tuple | list) and len(picked) == 2:
            f.since, f.until = (
                (picked[0], picked[1]) if (picked[0], picked[1]) != (first, last) else (None, None)
            )
    f.models = {k: v for k, v in f.models.items() if v}
    f.prompts = {k: v for k, v in f.prompts.items() if v}
    f.options = {k: v for k, v in f.options.items() if v}
    return f


def tag_editor(store: Store, frames: Frames) -> None:
    runs = frames.runs
    if runs.empty:
        return
    with st.sidebar.expander("Tag runs"):
        run_id = st.selectbox("Run", runs["run_id"].tolist(), key="an.tag_run")
        current = ", ".join(runs.set_index("run_id").loc[run_id, "tags"])
        text = st.text_input("Tags (comma-separated)", current, key=f"an.tag_text.{run_id}")
        if st.button("Save tags", key="an.tag_save"):
            set_run_tags(store, run_id, parse_tags(text))
            st.rerun()


def render_table(section: Section, name: str, table: pd.DataFrame) -> None:
    st.markdown(f"**{md_line(name.replace('_', ' '))}**")
    if table.empty:
        note = section.notes.get(name)
        st.info(NO_DATA + (f" ({md_line(note)})" if note else ""))
        return
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        "CSV", data=partial(table_bytes, table, "csv"), file_name=f"{section.key}.{name}.csv",
        mime="text/csv", key=f"an.csv.{section.key}.{name}", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip


def render_section(section: Section) -> None:
    st.caption(section.about)
    if section.empty:
        notes = "; ".join(dict.fromkeys(section.notes.values()))
        st.info(NO_DATA + (f" ({md_line(notes)})" if notes else ""))
        return
    for name, fig in figures(section):
        st.plotly_chart(fig, key=f"an.fig.{section.key}.{name}", width="stretch")
        st.download_button(
            "Figure (HTML)", data=partial(figure_html, fig),
            file_name=f"{section.key}.{name}.html", mime="text/html",
            key=f"an.html.{section.key}.{name}", on_click="ignore", icon=":material/download:",
        )  # fmt: skip
    for name, table in section.tables.items():
        render_table(section, name, table)


def exports(store: Store, selection: Frames, filters: Filters) -> None:
    st.caption(
        "The selection as JSONL (full records; `playground import` reads them back), flat "
        "CSV/Parquet (one row per verdict, and the turns table alongside), or Inspect eval logs "
        "(one per run and seat configuration, for `inspect view`)."
    )
    v = selection.verdicts
    if v.empty:
        st.info(NO_DATA)
        return
    ids = set(v["verdict_id"])
    runs = v["run_id"].unique().tolist()

    def jsonl() -> str:
        out = io.StringIO()
        for run_id in runs:
            write_jsonl(store, out, run_id, ids)
        return out.getvalue()

    def flat(which: int, fmt: str) -> bytes:
        frames = apply(load_frames(store, runs, text=True, turns=False), filters)
        return table_bytes(flat_tables(store, frames)[which], fmt)

    def inspect_logs() -> bytes:
        from playground.export.inspect import inspect_zip  # inspect_ai is heavy: on click only

        return inspect_zip(store, runs, ids)

    cols = st.columns(6)
    cols[0].download_button("JSONL", jsonl, "verdicts.jsonl", "application/jsonl",
                            key="an.x.jsonl", on_click="ignore")  # fmt: skip
    if inspect_installed():
        cols[5].download_button("Inspect logs (zip)", inspect_logs, "inspect-logs.zip",
                                "application/zip", key="an.x.inspect", on_click="ignore")  # fmt: skip
    else:
        cols[5].caption(f"Inspect logs need inspect_ai: {md_code(INSPECT_EXTRA)}")
    for i, (label, which, fmt) in enumerate(
        [("Verdicts CSV", 0, "csv"), ("Turns CSV", 1, "csv"),
         ("Verdicts Parquet", 0, "parquet"), ("Turns Parquet", 1, "parquet")], start=1
    ):  # fmt: skip
        name = ("verdicts" if which == 0 else "verdicts.turns") + f".{fmt}"
        cols[i].download_button(label, partial(flat, which, fmt), name,
                                key=f"an.x.{name}", on_click="ignore")  # fmt: skip
    st.markdown("**One debate as Markdown**")
    run_id = st.selectbox("Run", runs, key="an.md.run")
    items = v.loc[v["run_id"] == run_id, "item_id"].unique().tolist()
    item_id = st.selectbox("Item", items, key="an.md.item")
    st.download_button(
        "Transcript (Markdown)",
        lambda: item_markdown(run_items(store, run_id)[item_id]),
        f"{safe_name(run_id)}--{safe_name(item_id)}.md", "text/markdown",
        key="an.md.download", on_click="ignore", icon=":material/download:",
    )  # fmt: skip


require_app()
st.title("Analysis")
st.caption(
    "Accuracy counts ok verdicts only; unparseable and error verdicts are reported beside it, "
    "never folded in. Intervals are 95%. Tables download as CSV, figures as HTML; for PNG use "
    "the camera icon in a chart's toolbar."
)
store = get_store()
url = store.url.render_as_string(hide_password=True)  # a cache key only
version = data_version(store)
frames = cached_frames(url, version)
FILTERS = sidebar_filters(cached_choices(url, version))
tag_editor(store, frames)
selection = apply(frames, FILTERS)
if frames.verdicts.empty:
    st.info(f"{NO_DATA}: log a run on the Debate page or with `playground run`, then come back.")
st.markdown(
    f"**{len(selection.verdicts):,}** verdicts from **{selection.verdicts['run_id'].nunique()}** "
    f"run(s) · {md_line(FILTERS.describe())}"
)
CLUSTER = st.sidebar.selectbox(
    "Cluster intervals by",
    [ITEM, *item_fields(frames.verdicts)],
    key="an.cluster",
    format_func=lambda c: "item (a question and its swap)" if c == ITEM else f"item {md_line(c)}",
    help="What the clustered intervals and paired comparisons resample whole: the item, or "
    "an item metadata field such as QuALITY's article_id (every question on one passage).",
)
sections = cached_report(url, version, filters_key(FILTERS), REPS, CLUSTER)
tabs = st.tabs([s.title for s in sections] + ["Export"])
for tab, section in zip(tabs, sections, strict=False):
    with tab:
        render_section(section)
with tabs[-1]:
    exports(store, selection, FILTERS)
