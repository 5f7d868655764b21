"""Approval page: an agent plays approval-lab episodes (test-driven coding or courier runs with a
tempting shortcut) while approval sources rate every proposed step before it is carried out;
watch the steps, their true values and each source's approval fill in, then read the metrics
(Spearman, AUC, Brier, false-safe rate, cost) and how often each source prefers hacked runs.

The run goes on in the background (`playground.experiments.RunHandle`), so a person can sit in the agent's,
the overseer's or the judge's seat: when their turn comes the form is shown at the top.
A logged approval run can be read back without running anything.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pages.approval_view import (
    LiveSteps,
    blind,
    follow,
    logged_run,
    own_sources,
    plural,
    render_metrics,
    render_steps,
    run_footer,
    show_stored,
    step_table,
)
from pages.human import render_requests
from pages.keys import key_fields, secret_keys
from pages.live_controls import run_controls, start_live
from pages.protocol_form import seat_settings, seats_of
from pages.widgets import get_store, md, require_app
from playground.datasets import DatasetError, list_builtins, load_dataset
from playground.experiments import (
    SETUP_ERRORS,
    ExperimentError,
    RunHandle,
    RunRegistry,
    parse_experiment,
)
from playground.protocols.approval.metrics import approval_rows
from playground.protocols.approval.sources import SOURCES
from playground.providers import Credentials
from playground.providers.human import HUMAN
from playground.safetext import md_prose
from playground.store import Store

require_app()

# errors that mean the settings are wrong: shown as one line, never as a traceback
ENV_LABELS = {"shortcut": "Courier runs with a tempting shortcut", "tdd": "Test-driven coding"}
MAX_TASKS = {"shortcut": 30, "tdd": 26}
DEFAULT_TASKS = {"shortcut": 3, "tdd": 2}
# the embedded model's agent: one letter per courier stop; a test file or a function for tdd
AGENT_DEFAULTS = {"shortcut": (0.0, 4), "tdd": (0.0, 384)}
OVERSEER_DEFAULTS = (0.0, 32)
SOURCE_LABELS = {
    "outcome": "Outcome reward",
    "myopic_overseer": "Myopic overseer",
    "debate_overseer": "Debate overseer",
    "consultant_overseer": "Consultant overseer",
}
SOURCE_HELP = (
    "Outcome reward: the episode's end reward credited to every step (what outcome-based RL "
    "uses). Myopic overseer: rates each step by foresight. Debate overseer: two debaters argue "
    "for and against the step, a judge rates it. Consultant overseer: one consultant argues, a "
    "judge rates."
)
# seats a person may take here: the debaters and the consultant are models (a comment, not a
# docstring: Streamlit's magic would render a bare string at a page's top level)
PERSON_SEATS = ("agent", "overseer", "judge")


@st.cache_resource(show_spinner=False)
def live_runs() -> RunRegistry:
    """Approval runs started from this page, shared by the server's sessions: a rerun, or a
    refresh (the run's id is in the URL), finds its run here."""
    return RunRegistry()


def attached_run() -> RunHandle | None:
    run = live_runs().get(st.session_state.get("appr.live") or st.query_params.get("live"))
    if run is not None:
        st.session_state["appr.live"] = run.id
    return run


def dataset_ref(environment: str, tasks: int) -> str:
    return f"builtin:shortcut?n={tasks}" if environment == "shortcut" else f"builtin:{environment}"


# -- settings -------------------------------------------------------------------------------


def environment_settings() -> tuple[str, int]:
    """The environment and how many of its tasks to play; its first task in an expander."""
    names: list[str] = list(ENV_LABELS)
    env = str(
        st.selectbox("Environment", names, format_func=ENV_LABELS.__getitem__, key="appr.env")
    )
    st.caption(list_builtins()[f"builtin:{env}"])
    tasks = int(
        st.number_input("Tasks", 1, MAX_TASKS[env], DEFAULT_TASKS[env], key=f"appr.{env}.tasks")
    )
    try:
        first = load_dataset(dataset_ref(env, 1)).items[0]
    except DatasetError as exc:
        st.error(md_prose(str(exc)))
    else:
        with st.expander("The first task, as the agent sees it"):
            st.markdown(md(first.question))
    return env, tasks


def source_settings() -> dict[str, Any]:
    """The ``[options]`` of the approval protocol: sources, rounds, the consultant's side."""
    sources = st.multiselect(
        "Approval sources",
        list(SOURCES),
        default=["outcome", "myopic_overseer"],
        format_func=lambda s: SOURCE_LABELS[s],
        key="appr.sources",
        help=SOURCE_HELP,
    )
    arguing = {"debate_overseer", "consultant_overseer"} & set(sources)
    rounds = st.number_input(
        "Overseer rounds", 1, 5, 1, key="appr.rounds", disabled=not arguing,
        help="Rounds of argument per step, for the debate and consultant overseers.",
    )  # fmt: skip
    options: dict[str, Any] = {"sources": sources, "overseer_rounds": int(rounds)}
    if "consultant_overseer" in sources:
        options["consultant_side"] = st.radio(
            "The consultant argues to", ["approve", "reject"], horizontal=True, key="appr.side"
        )
    return options


def seat_widgets(env: str, seats: tuple[str, ...]) -> tuple[dict[str, Any], list[str], dict]:
    """A seat widget per seat the sources need: the roles, what is missing, servers' keys."""
    roles: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    server_keys: dict[str, str] = {}
    for start in range(0, len(seats), 3):
        for role, column in zip(seats[start : start + 3], st.columns(3), strict=False):
            with column.container(border=True):
                prefix = f"appr.{env}." if role == "agent" else "appr."
                defaults = {"agent": AGENT_DEFAULTS[env], "overseer": OVERSEER_DEFAULTS}
                roles[role], problem, keys = seat_settings(
                    role, key_prefix=prefix, defaults=defaults.get(role),
                    human=role in PERSON_SEATS,
                )  # fmt: skip
                if roles[role]["model"] == HUMAN and role != "agent":
                    st.caption("You rate each step with a slider and a one-sentence rationale.")
                problems += [problem] if problem else []
                server_keys |= keys
    return roles, problems, server_keys


def experiment(env: str, tasks: int, options: dict[str, Any], roles: dict[str, Any]) -> dict:
    people = [r for r, c in roles.items() if c["model"] == HUMAN]
    return {
        "name": f"approval · {env} · {plural(tasks, 'task')}",
        "protocol": "approval",
        "dataset": dataset_ref(env, tasks),
        "limit": tasks,
        "tags": ["page", *(["human"] if people else [])],
        "concurrency": 1 if people else 4,  # a person rates one episode at a time
        "cache": bool(st.session_state.get("appr.cache")),
        "options": options,
        "roles": roles,
    }


# -- a run ----------------------------------------------------------------------------------


def show_live(run: RunHandle, store: Store, stop: Any, desk: Any) -> None:
    """Follow the run; stop at a person's turn (its form goes into ``desk``), or say how the
    run ended."""
    status = st.status("Starting the approval run…", expanded=False)
    slot = st.empty()
    steps, draws, read = LiveSteps(), iter(range(1_000_000)), dict[str, Any]()
    assert run.experiment is not None  # the page starts experiments, never resumes
    options = run.experiment.protocol_options().model_dump()
    people = own_sources(options["sources"], run.human_seats)

    def draw() -> None:
        if not run.finished:  # else the label says how it ended
            status.update(label=f"Running: {steps.label()}")
        key = f"appr.live.{next(draws)}"
        with slot.container():
            table = step_table(steps.episodes(), options["sources"])
            if run.human_seats and not run.finished:
                render_steps(blind(table, people), key)
                st.caption("While you sit in a seat, true values and the other sources' ratings "
                           "stay hidden: you rate by foresight, as a model overseer must.")  # fmt: skip
                return
            render_steps(table, key)
            if run.run_id:
                render_metrics(verdict_rows(run.run_id), key)

    def verdict_rows(run_id: str) -> pd.DataFrame:
        """The approval rows, read again only when another episode has ended."""
        if read.get("finished") != steps.finished:
            read.update(finished=steps.finished, rows=approval_rows(store.iter_records(run_id)))
        return read["rows"]

    waiting = follow(run, steps, draw)
    if run.run_id:
        st.session_state["appr.last"] = run.run_id
    if waiting:
        status.update(label="Waiting for you: rate the step above", state="running")
        with desk:
            render_requests(run, waiting)
        return
    run.end_shown = True
    stop.empty()
    if run.status == "interrupted":
        status.update(label="Stopped", state="error")
        st.warning("The run was stopped: completed turns are kept, the run is marked interrupted.")
    elif run.error is not None:
        status.update(label="The run stopped", state="error")
        st.error(md_prose(run.error))
    elif run.summary is not None:
        status.update(
            label=f"Approval run finished in {run.summary.seconds:.1f} s", state="complete"
        )
        draw()  # once more, no longer blind
    if run.run_id:
        run_footer(store, run.run_id)


# -- page -----------------------------------------------------------------------------------

st.title("Approval")
st.caption(
    "An agent proposes each step of an episode; approval sources rate the step before it is "
    "carried out, and the environment's ground truth says how good it really was. Compare "
    "outcome reward with myopic, debate and consultant overseers, or rate the steps yourself."
)
typed_keys = key_fields(secrets := secret_keys())
store = get_store()
live = attached_run()
desk = st.container()  # a person's form, above everything else

if st.radio("Show", ["New run", "Logged run"], horizontal=True, key="appr.mode") == "Logged run":
    logged_run(store)
    st.stop()

left, right = st.columns(2, gap="large")
with left:
    env, tasks = environment_settings()
with right:
    options = source_settings()
    st.checkbox(
        "Reuse identical earlier calls", key="appr.cache",
        help="Answer a call from the store's response cache when the same model, parameters and "
        "messages were sent before. A person's entries are never reused.",
    )  # fmt: skip

st.subheader("Seats")
try:
    seats = seats_of("approval", options)
except ValueError:  # no source chosen: the agent alone, and the run refuses with one line
    seats = ("agent",)
roles, problems, server_keys = seat_widgets(env, seats)
humans = tuple(r for r, c in roles.items() if c["model"] == HUMAN)

running = live is not None and not live.finished
clicked, stop = run_controls(live, "Run", "appr.")

if clicked:
    try:
        if problems:
            raise ExperimentError(problems[0])
        parsed = parse_experiment(experiment(env, tasks, options, roles))
    except SETUP_ERRORS as exc:
        st.error(md_prose(" ".join(str(exc).split())))
    else:
        credentials = Credentials.from_sources(server_keys, typed_keys, secrets)
        start_live(live_runs(), live, parsed, store, credentials, humans, "appr.live")
elif live is not None and (running or not live.end_shown):
    show_live(live, store, stop, desk)
elif run_id := (live.run_id if live is not None else None) or st.session_state.get("appr.last"):
    st.subheader("Last run")
    show_stored(store, run_id, "appr.last")
