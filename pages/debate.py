"""Debate page: choose a question and a protocol (debate, open debate, consultancy, open
consultancy, blind), its options and who sits in each seat (a model, or you), then watch the
run stream in and see each judge's verdict. The run is executed and logged by the library.

A run goes on in the background across reruns (`playground.experiments.RunHandle`): when a person's turn comes
the page shows that seat's view and a form, and the run continues when it is submitted.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.human import render_requests
from pages.keys import key_fields, secret_keys
from pages.live_controls import run_controls, start_live
from pages.live_view import ProtocolLiveView, follow, render_extras
from pages.protocol_form import (
    PROTOCOLS,
    expected_calls,
    protocol_settings,
    seat_settings,
    seats_of,
)
from pages.question import pick_question
from pages.widgets import (
    fmt_cost,
    fmt_int,
    get_store,
    md,
    render_item,
    render_transcript,
    require_app,
    role_style,
)
from playground.experiments import (
    SETUP_ERRORS,
    ExperimentError,
    RunHandle,
    RunRegistry,
    parse_experiment,
)
from playground.protocols import protocols
from playground.providers import Credentials
from playground.providers.human import HUMAN
from playground.records import Item
from playground.safetext import md_code, md_line, md_prose
from playground.store import Store

# errors that mean the settings are wrong: shown as one line, never as a traceback
# (no bare strings at the top level of a page: Streamlit's magic would render them)
VERDICT_MODES = {
    "stated": "stated answer",
    "logprobs": "token probabilities",
    "structured": "structured reply",
}
CONDITIONS = {k: v for cls in protocols().values() for k, v in cls.info.conditions.items()}


# -- setup ----------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def live_runs() -> RunRegistry:
    """Runs started from this page, shared by the server's sessions: a rerun, or a refresh
    (the run's id is in the URL), finds its run here."""
    return RunRegistry()


def attached_run() -> RunHandle | None:
    run_id = st.session_state.get("debate.live") or st.query_params.get("live")
    run = live_runs().get(run_id)
    if run is not None:
        st.session_state["debate.live"] = run.id
    return run


def question_for_judge(item: Item) -> None:
    """The item as a judge may see it: no passage, no true answer."""
    st.markdown(f"**Question.** {md(item.question)}")
    for number, answer in enumerate(item.answers, 1):
        st.markdown(f"{number}. {md(answer)}")
    st.caption("The passage and the correct answer are hidden here: you are judging.")


# -- a run ----------------------------------------------------------------------------------


def show_live(run: RunHandle, store: Store, stop: Any) -> None:
    """Follow the run in the page; stop at a person's turn (its form is shown above the
    transcripts), or show how the run ended (and take the ``stop`` button away)."""
    experiment = run.experiment
    assert experiment is not None  # the page starts experiments, never resumes
    options = experiment.protocol_options().model_dump()
    label = PROTOCOLS[experiment.protocol].label
    slot = st.empty()
    status = slot.status(f"Starting the {label.lower()}…", expanded=False)
    desk = st.container()
    view = ProtocolLiveView(
        int(options.get("rounds", 1)),
        expected_calls(experiment.protocol, options),
        status,
        label.lower(),
        options.get("quotes", "off"),
    )
    waiting = follow(run, view)
    if run.run_id:
        st.session_state["last_run_id"] = run.run_id
    if waiting:
        names = " and ".join(role_style(r.seat).name for r in waiting)
        status.update(label=f"Waiting for you: {names}", state="running")
        with desk:
            render_requests(run, waiting)
        return
    run.end_shown = True
    stop.empty()
    if run.status == "interrupted":
        status.update(label="Stopped", state="error")
        st.warning(
            "The run was stopped: every completed turn is kept, and the run is marked "
            "interrupted (`playground run --resume` can finish it)."
        )
    elif run.error is not None:
        if run.run_id:
            status.update(label="The run stopped", state="error")
        else:
            slot.empty()
        st.error(md_prose(run.error))
        return
    elif run.summary is not None:
        seconds = run.summary.seconds
        status.update(label=f"{label} finished in {seconds:.1f} s", state="complete")
    if run.run_id:
        run_footer(run.run_id, store)


def run_footer(run_id: str, store: Store) -> None:
    info = store.get_run(run_id)
    if info is None:
        return
    counts = ", ".join(f"{info.verdicts.get(s, 0)} {s}" for s in ("ok", "unparseable", "error"))
    tokens = fmt_int(info.input_tokens + info.output_tokens)
    st.markdown(
        f"Logged as run {md_code(info.id)} ({md_line(info.status)}): verdicts {counts} · "
        f"{tokens} tokens · {fmt_cost(info.cost_usd)}"
    )
    st.page_link(
        "pages/runs.py",
        label="Read it on the Runs page",
        icon=":material/table_rows:",
        query_params={"run": info.id},
    )


def last_run(store: Store, run_id: str) -> None:
    """The previous run of this session, read back from the store (it survives reruns)."""
    info = store.get_run(run_id)
    if info is None:
        return
    st.subheader("Last run")
    options = info.config.get("provenance", {}).get("options", {})
    for number, view in enumerate(store.transcripts_of(run_id), 1):
        with st.container(border=True):
            notes = [CONDITIONS.get(view.assignment.condition or "", "")]
            notes.append("positions swapped" if view.assignment.swapped else "")
            st.markdown(" · ".join([f"**Transcript {number}**", *filter(None, notes)]))
            render_transcript(view, options.get("rounds"))
            verdicts = [verdict for _, verdict, _ in view.verdicts]
            quotes = options.get("quotes", "off")
            render_extras(view.item, view.assignment, view.turns, verdicts, quotes, view.id)
    run_footer(run_id, store)


# -- page -----------------------------------------------------------------------------------

require_app()
st.title("Debate")
st.caption(
    "Put one question through a judged protocol with a model, or you, in each seat: the "
    "judge has not read the passage. Every turn and verdict is logged with its provenance."
)
typed_keys = key_fields(secrets := secret_keys())
store = get_store()
live = attached_run()

pick, settings = st.columns([3, 2], gap="large")
pick.subheader("Question")
settings.subheader("Protocol")
with settings:
    protocol, options = protocol_settings()
seats = seats_of(protocol, options)
# who is a person, as the seat widgets below will say (their state is already set)
people = [s for s in seats if st.session_state.get(f"{s}.provider") == HUMAN]
judging = any(s.startswith("judge") for s in people)
cache = settings.checkbox(
    "Reuse identical earlier calls",
    help="Answer a call from the store's response cache when the same model, parameters and "
    "messages were sent before (marked 'cached' on the turn). Off: every call samples anew. "
    "A person's entries are never reused.",
    key="cache",
)

picked = pick_question(pick, "", describe=True)
if picked is None:
    st.stop()
ref, item = picked
with pick.container(border=True):
    if judging:
        question_for_judge(item)
    else:
        render_item(item)
        if item.correct is not None:
            with st.expander("Correct answer (hidden until the verdict)"):
                st.markdown(f"{item.correct + 1}. {md(item.answers[item.correct])}")

st.subheader("Seats")
roles: dict[str, dict[str, Any]] = {}
problems = []
server_keys: dict[str, str] = {}
for start in range(0, len(seats), 3):
    for role, column in zip(seats[start : start + 3], st.columns(3), strict=False):
        with column.container(border=True):
            roles[role], problem, keys = seat_settings(role)
            if role.startswith("judge") and roles[role]["model"] != HUMAN:
                mode = st.selectbox(
                    "Verdict read from",
                    VERDICT_MODES,
                    format_func=VERDICT_MODES.__getitem__,
                    key=f"{role}.verdict_mode",
                    help="stated: its Answer:/Confidence: lines; logprobs: the probabilities "
                    "of the answer labels after 'Answer:' (OpenAI, compatible servers, local "
                    "models); structured: a reply held to {answer, confidence, reasoning} "
                    "(OpenAI, Anthropic, local models). Recorded in the seat's provenance.",
                )
                if mode != "stated":
                    roles[role]["verdict_mode"] = mode
            problems += [problem] if problem else []
            server_keys |= keys
humans = tuple(role for role, config in roles.items() if config["model"] == HUMAN)

running = live is not None and not live.finished
clicked, stop = run_controls(live, f"Run {PROTOCOLS[protocol].label.lower()}")

if clicked:
    try:
        if problems:
            raise ExperimentError(problems[0])
        experiment = parse_experiment(
            {
                "name": f"{protocol} · {item.id}",
                "protocol": protocol,
                "dataset": ref,
                "items": [item.id],
                "tags": ["page", *(["human"] if humans else [])],
                "concurrency": 1,
                "cache": cache,  # a person's entries are never cached (HumanModel.cacheable)
                "options": options,
                "roles": roles,
            }
        )
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))
    else:
        credentials = Credentials.from_sources(server_keys, typed_keys, secrets)
        start_live(live_runs(), live, experiment, store, credentials, humans, "debate.live")
elif live is not None and (running or not live.end_shown):
    show_live(live, store, stop)
elif run_id := (live.run_id if live is not None else None) or st.session_state.get("last_run_id"):
    last_run(store, run_id)
