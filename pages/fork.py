"""Fork page: re-judge a logged transcript with another judge, or fork it at a turn with settings
changed, and read the original and the new transcript side by side with both verdicts. The new
transcript runs in the background, with a Stop button while it goes on."""

from __future__ import annotations

import tomllib

import streamlit as st

from pages.keys import key_fields, secret_keys
from pages.live_controls import follow_handle
from pages.team import current_person
from pages.widgets import get_store, render_transcript, require_app
from playground.experiments import RunHandle, RunRegistry
from playground.experiments.fork import fork
from playground.providers import Credentials
from playground.safetext import md_code, md_line, md_prose

require_app()
LIVE = "fork.live"


@st.cache_resource(show_spinner=False)
def fork_runs() -> RunRegistry:
    """Forks started from this page, shared by the server's sessions: a rerun finds its run."""
    return RunRegistry()


def running(_: RunHandle) -> None:
    st.info("Running the new transcript…", icon=":material/hourglass_top:")


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
        previous = fork_runs().get(st.session_state.get(LIVE))
        if previous is not None and not previous.finished:
            previous.cancel()
        handle = RunHandle(
            lambda options: fork(store, view.id, options, at_turn=at_turn, changes=changes),
            credentials=credentials,
            source="page",
            created_by=current_person(),
            keep_events=False,
        )
        handle.start(timeout=0)
        fork_runs().add(handle)
        st.session_state[LIVE] = handle.id
        st.session_state["fork.of"] = view.id
    except tomllib.TOMLDecodeError as exc:
        st.error(f"changes: not valid TOML ({md_line(exc)})")

if (live := fork_runs().get(st.session_state.get(LIVE))) is not None:
    if not live.finished:
        follow_handle(live, "fork.stop", running)
    elif not live.end_shown:
        live.end_shown = True
        if live.status == "done" and live.summary is not None:
            st.session_state["fork.result"] = (st.session_state["fork.of"], live.summary.info.id)
        elif live.status == "interrupted":
            st.warning("The new transcript was stopped; what it had recorded is kept.")
        else:
            st.error(md_prose(live.error or "the fork did not run"))

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
