"""Fork page: re-judge a logged transcript with another judge, or fork it at a turn with settings
changed, and read the original and the new transcript side by side with both verdicts."""

from __future__ import annotations

import tomllib

import streamlit as st

from pages.keys import key_fields, secret_keys
from pages.widgets import get_store, render_transcript, require_app
from playground.experiments import SETUP_ERRORS, RunHandle
from playground.experiments.fork import fork
from playground.providers import Credentials
from playground.safetext import md_code, md_line, md_prose

require_app()

EXAMPLE = """# merged into the original run's experiment, key by key, e.g.:
[roles.judge]
model = "local/smollm2"
temperature = 0.0
"""

st.title("Fork and re-judge")
st.caption(
    "Judge an unchanged transcript again with another judge or judge prompt, or keep its turns up "
    "to turn k and run the rest with a model, prompt or option changed. The result is a new run "
    "linked to its parent; copied turns are not called again."
)
credentials = Credentials.from_sources(key_fields(secrets := secret_keys()), secrets)
store = get_store()

runs = [r for r in store.list_runs(100) if r.transcripts]
if not runs:
    st.info("No runs yet: run a debate first.")
    st.stop()
left, right = st.columns(2)
run = left.selectbox(
    "Run", runs, format_func=lambda r: f"{r.id} · {r.protocol} · {r.name}", key="fork.run"
)
views = store.transcripts_of(run.id)
view = right.selectbox(
    "Transcript",
    views,
    format_func=lambda v: (
        f"{v.item.id}{' (swapped)' if v.assignment.swapped else ''} · {len(v.turns)} turns"
    ),
    key=f"fork.transcript.{run.id}",
)
mode = st.radio("What to do", ["Re-judge", "Fork at a turn"], horizontal=True, key="fork.mode")
at_turn = None
if mode == "Fork at a turn":
    labels = {
        t.index: f"{t.index} · {t.role}" + (f" · round {t.round}" if t.round else "")
        for t in view.turns
    }
    at_turn = st.selectbox(
        "Keep turns up to and including",
        list(labels),
        format_func=labels.__getitem__,
        key=f"fork.at.{view.id}",
    )
changes_text = st.text_area("Changes (TOML)", value=EXAMPLE, height=150, key="fork.changes")

if st.button("Run", type="primary", icon=":material/call_split:", key="fork.go"):
    try:
        changes = tomllib.loads(changes_text)
        handle = RunHandle(
            lambda options: fork(store, view.id, options, at_turn=at_turn, changes=changes),
            credentials=credentials,
            source="page",
            keep_events=False,
        )
        with st.spinner("Running the new transcript…"):
            handle.start()
            summary = handle.outcome()
        st.session_state["fork.result"] = (view.id, summary.info.id)
    except tomllib.TOMLDecodeError as exc:
        st.error(f"changes: not valid TOML ({md_line(exc)})")
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))

result = st.session_state.get("fork.result")
if result and result[0] == view.id:
    [child] = store.transcripts_of(result[1])
    st.success(
        f"New run {md_code(result[1])}, transcript {md_code(child.id)}, "
        f"linked to {md_code(view.id)}."
    )
    original, forked = st.columns(2, gap="large")
    with original:
        st.subheader("Original")
        render_transcript(view)
    with forked:
        st.subheader("Re-judged" if mode == "Re-judge" else f"Forked after turn {at_turn}")
        render_transcript(child)
