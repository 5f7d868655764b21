"""Background runs started from this server, shared by the Batch and Consistency pages: one
registry, so every page lists every run still going and none offers to resume one that is."""

from __future__ import annotations

import streamlit as st

from pages.team import current_person
from pages.widgets import get_store
from playground.experiments import SETUP_ERRORS, Experiment, RunHandle, RunSummary
from playground.providers import Credentials
from playground.safetext import md_prose


@st.cache_resource(show_spinner=False)
def background_runs() -> dict[str, RunHandle[RunSummary]]:
    """Runs started from this server, by run id: they outlive page reruns and browser refreshes."""
    return {}


def start_background(
    experiment: Experiment | None,
    credentials: Credentials,
    resume: str | None = None,
    budget: dict[str, float | None] | None = None,
) -> str | None:
    """Start ``experiment`` (or resume the run ``resume``) in the background and register it,
    with ``budget`` keys over the experiment's; its id, or None after showing why it could not
    start."""
    try:
        job = RunHandle.for_experiment(
            experiment,
            get_store(),
            resume=resume,
            budget=budget,
            credentials=credentials,
            source="page",
            created_by=current_person(),
            keep_events=False,  # counts only: nobody replays a batch's events
        )
        run_id = job.start()
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))
        return None
    if run_id is None:
        st.error(md_prose(job.error or "the run did not start"))
        return None
    background_runs()[run_id] = job
    return run_id
