"""Run and Stop for a page that follows one background run at a time (Debate, Approval)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.experiments import Experiment, RunHandle, RunRegistry
from playground.providers import Credentials
from playground.store import Store


def run_controls(live: RunHandle | None, label: str, prefix: str = "") -> tuple[bool, Any]:
    """A Run button (key ``{prefix}run``) and, while ``live`` goes on, a Stop button (key
    ``{prefix}stop``) beside it; whether Run was clicked, and the Stop button's placeholder,
    which the live view empties when the run ends."""
    with st.container(horizontal=True):
        # never disabled: a run can end during this script run, and a button cannot be
        # re-enabled; running again stops the run that is going on
        clicked = st.button(label, type="primary", icon=":material/play_arrow:", key=f"{prefix}run")
        stop = st.empty()
        if live is not None and not live.finished:
            stop.button("Stop", icon=":material/stop:", key=f"{prefix}stop", on_click=live.cancel)
    return clicked, stop


def start_live(
    registry: RunRegistry,
    previous: RunHandle | None,
    experiment: Experiment,
    store: Store,
    credentials: Credentials,
    humans: tuple[str, ...],
    state_key: str,
) -> None:
    """Start ``experiment`` as a background run the page follows (stopping the one it was
    following), remember it in the session and the URL, and redraw the page."""
    if previous is not None and not previous.finished:
        previous.cancel()
    live = RunHandle.for_experiment(
        experiment,
        store,
        credentials=credentials,
        source="page",
        stream=True,  # the library streams only when someone is watching
        humans=humans,
    )
    live.start(timeout=0)  # the page shows it starting
    registry.add(live)
    st.session_state[state_key] = live.id
    st.query_params["live"] = live.id
    st.rerun()  # draw the page as it is while a run goes on: with its Stop button
