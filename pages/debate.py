"""Debate page: choose a question, the rounds and a model for each seat, then watch the debate
stream in and see the judge's verdict. The run is executed and logged by the library."""

from __future__ import annotations

import asyncio
import queue
import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from pages.keys import key_fields, secret_keys
from pages.widgets import (
    LiveView,
    fmt_cost,
    fmt_int,
    get_store,
    md,
    render_item,
    render_transcript,
    require_app,
    role_style,
)
from playground.datasets import Dataset, DatasetError, list_builtins, load_dataset
from playground.experiments import (
    Experiment,
    ExperimentError,
    RunSummary,
    parse_experiment,
    run_experiment,
)
from playground.prompts import PromptError
from playground.providers import Credentials, ProviderError
from playground.store import Store

# errors that mean the settings are wrong: shown as one line, never as a traceback
# (no bare strings at the top level of a page: Streamlit's magic would render them)
SETTING_ERRORS = (ExperimentError, ProviderError, DatasetError, PromptError)


@dataclass(frozen=True)
class ProviderChoice:
    label: str
    prefix: str
    model: str
    base_url: str | None  # default of the base URL field; None: no field


PROVIDERS = {
    "local": ProviderChoice("Embedded local model", "local", "smollm2", None),
    "openai": ProviderChoice("OpenAI", "openai", "gpt-4o-mini", None),
    "anthropic": ProviderChoice("Anthropic", "anthropic", "claude-sonnet-4-5", ""),
    "compat": ProviderChoice(
        "OpenAI-compatible server", "openai", "llama3.2", "http://localhost:11434/v1"
    ),
}
SEATS = ("debater_a", "debater_b", "judge")
# sized for the embedded 135M model: short speeches, and a judge that only needs two lines
DEFAULTS = {"debater_a": (0.7, 96), "debater_b": (0.7, 96), "judge": (0.0, 32)}


# -- setup ----------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def dataset(ref: str) -> Dataset:
    return load_dataset(ref, seed=0)


def seat_settings(role: str) -> tuple[dict[str, Any], str | None, dict[str, str]]:
    """One seat's provider, model, base URL and parameters as a `RoleConfig` mapping, what is
    missing, if anything (every widget is still drawn, so none loses its value), and a key
    typed for this seat's own server ({base URL: key}: held in memory only)."""
    style = role_style(role)
    st.markdown(f"##### :{style.color}[{style.name}]")
    kind = st.selectbox(
        "Provider",
        list(PROVIDERS),
        format_func=lambda k: PROVIDERS[k].label,
        key=f"{role}.provider",
    )
    choice = PROVIDERS[kind]
    name = st.text_input("Model", value=choice.model, key=f"{role}.{kind}.model")
    base_url, problem = None, None
    if choice.base_url is not None:
        optional = " (optional)" if kind == "anthropic" else ""
        base_url = st.text_input(
            f"Base URL{optional}", value=choice.base_url, key=f"{role}.{kind}.base_url"
        ).strip()
        if kind == "compat" and not base_url:
            problem = f"{style.name}: an OpenAI-compatible server needs a base URL"
    server_key = ""
    if base_url:
        # no widget key: a keyed widget's value would sit in session_state
        server_key = st.text_input(
            f"Key for {style.name}'s server (optional)",
            type="password",
            help="Sent only to this base URL. Your OpenAI/Anthropic key is never sent to "
            "another server.",
        )
    temperature, max_tokens = DEFAULTS[role]
    left, right = st.columns(2)
    config: dict[str, Any] = {}
    if kind == "anthropic":
        left.caption("The Anthropic API takes no temperature.")
    else:
        config["temperature"] = left.number_input(
            "Temperature", 0.0, 2.0, temperature, step=0.1, format="%.1f", key=f"{role}.temperature"
        )
    max_tokens = right.number_input(
        "Max tokens", 1, 8192, max_tokens, step=16, key=f"{role}.max_tokens"
    )
    model = f"{choice.prefix}/{name.strip()}"
    st.caption(f"Model string `{model}`")
    config |= {"model": model, "max_tokens": int(max_tokens)}
    keys = {base_url: server_key} if base_url and server_key else {}
    return config | ({"base_url": base_url} if base_url else {}), problem, keys


# -- live run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ended:
    summary: RunSummary | None = None
    error: BaseException | None = None


def run_live(experiment: Experiment, store: Store, credentials: Credentials) -> None:
    """Run in a worker thread with its own event loop; render its events on this thread.

    The queue carries the library's events, the run id (a str) once the run is recorded, and
    `_Ended` last, whatever happens.
    """
    events: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            summary = asyncio.run(
                run_experiment(
                    experiment,
                    store,
                    credentials=credentials,
                    sink=events.put,
                    source="page",
                    on_start=events.put,
                    stream=True,  # the library streams only when someone is watching
                )
            )
            events.put(_Ended(summary=summary))
        except BaseException as exc:  # shown on the page below
            events.put(_Ended(error=exc))

    options = experiment.protocol_options()
    transcripts = 2 if getattr(options, "swap_positions", False) else 1
    rounds = getattr(options, "rounds", 1)
    slot = st.empty()
    status = slot.status("Starting the debate…", expanded=False)
    view = LiveView(rounds, transcripts * (2 * rounds + 1), status)
    threading.Thread(target=work, name="debate-run", daemon=True).start()
    started, ended = False, None
    while ended is None:
        batch = [events.get()]
        while not events.empty():  # render a burst of deltas as one update per turn
            batch.append(events.get_nowait())
        for event in batch:
            if isinstance(event, str):
                started = True
                st.session_state["last_run_id"] = event
            elif isinstance(event, _Ended):
                ended = event
            else:
                view.apply(event)
        view.flush()
    if ended.error is not None:
        if started:
            status.update(label="The run stopped", state="error")
        else:
            slot.empty()
        message = " ".join(str(ended.error).split()) or type(ended.error).__name__
        if not isinstance(ended.error, SETTING_ERRORS):
            message = f"{type(ended.error).__name__}: {message}"
        st.error(credentials.redact(message))
        return
    assert ended.summary is not None
    status.update(label=f"Debate finished in {ended.summary.seconds:.1f} s", state="complete")
    run_footer(ended.summary.info.id, store)


def run_footer(run_id: str, store: Store) -> None:
    info = store.get_run(run_id)
    if info is None:
        return
    counts = ", ".join(f"{info.verdicts.get(s, 0)} {s}" for s in ("ok", "unparseable", "error"))
    tokens = fmt_int(info.input_tokens + info.output_tokens)
    st.markdown(
        f"Logged as run `{info.id}` ({info.status}): verdicts {counts} · "
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
    rounds = info.config.get("provenance", {}).get("options", {}).get("rounds")
    for number, view in enumerate(store.transcripts_of(run_id), 1):
        with st.container(border=True):
            swapped = " · positions swapped" if view.assignment.swapped else ""
            st.markdown(f"**Transcript {number}**{swapped}")
            render_transcript(view, rounds)
    run_footer(run_id, store)


# -- page -----------------------------------------------------------------------------------

require_app()
st.title("Debate")
st.caption(
    "Two debaters argue for opposite answers; a judge who has not read the passage picks one "
    "and gives a credence. Every turn and verdict is logged with its provenance."
)
typed_keys = key_fields(secrets := secret_keys())
store = get_store()

pick, options = st.columns([3, 2], gap="large")
pick.subheader("Question")
options.subheader("Protocol")
refs = list_builtins()
ref = pick.selectbox("Dataset", list(refs), key="dataset")
pick.caption(refs[ref])
try:
    items = dataset(ref).items
except DatasetError as exc:
    st.error(str(exc))
    st.stop()
by_id = {item.id: item for item in items}
item_id = pick.selectbox(
    "Question",
    list(by_id),
    key=f"{ref}.item",
    format_func=lambda i: f"{i} · {by_id[i].question[:80]}",
)
item = by_id[item_id]
with pick.container(border=True):
    render_item(item)
    with st.expander("Correct answer (hidden until the verdict)"):
        st.markdown(f"{item.correct + 1}. {md(item.answers[item.correct])}")

rounds = options.number_input(
    "Rounds", 1, 10, 3, help="Each debater speaks once per round.", key="rounds"
)
swap = options.checkbox(
    "Also run with positions swapped",
    help="Runs a second transcript with the answers swapped between the debaters, "
    "to measure the judge's position bias.",
    key="swap",
)
cache = options.checkbox(
    "Reuse identical earlier calls",
    help="Answer a call from the store's response cache when the same model, parameters and "
    "messages were sent before (marked 'cached' on the turn). Off: every call samples anew.",
    key="cache",
)

st.subheader("Seats")
roles: dict[str, dict[str, Any]] = {}
problems = []
server_keys: dict[str, str] = {}
for role, column in zip(SEATS, st.columns(3), strict=True):
    with column.container(border=True):
        roles[role], problem, keys = seat_settings(role)
        problems += [problem] if problem else []
        server_keys |= keys

if st.button("Run debate", type="primary", icon=":material/play_arrow:", key="run"):
    try:
        if problems:
            raise ExperimentError(problems[0])
        experiment = parse_experiment(
            {
                "name": f"debate · {item.id}",
                "protocol": "debate",
                "dataset": ref,
                "items": [item.id],
                "tags": ["page"],
                "concurrency": 1,
                "cache": cache,
                "options": {"rounds": int(rounds), "swap_positions": swap},
                "roles": roles,
            }
        )
    except SETTING_ERRORS as exc:
        st.error(str(exc))
    else:
        run_live(experiment, store, Credentials.from_sources(server_keys, typed_keys, secrets))
elif run_id := st.session_state.get("last_run_id"):
    last_run(store, run_id)
