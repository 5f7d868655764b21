"""Run and Stop for a page that follows one background run at a time (Debate, Approval), and
a progress-and-Stop fragment for pages whose run has no live transcript view (Fork, A/B)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pages.team import current_person
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


FOLLOW_TICK_S = 0.5
"""How often `follow_handle` redraws a run's progress while it goes on."""


@st.fragment(run_every=FOLLOW_TICK_S)
def follow_handle(live: RunHandle, stop_key: str, draw: Callable[[RunHandle], None]) -> None:
    """While ``live`` goes on: ``draw`` its progress and a Stop button (key ``stop_key``),
    redrawn every `FOLLOW_TICK_S`; once it has ended, rerun the page, which shows the end."""
    if live.finished:
        st.rerun()
    draw(live)
    st.button("Stop", icon=":material/stop:", key=stop_key, on_click=live.cancel)


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
        created_by=current_person(),
        stream=True,  # the library streams only when someone is watching
        humans=humans,
    )
    live.start(timeout=0)  # the page shows it starting
    registry.add(live)
    st.session_state[state_key] = live.id
    st.query_params["live"] = live.id
    st.rerun()  # draw the page as it is while a run goes on: with its Stop button
