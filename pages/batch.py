"""Batch page: start an experiment file in the background, watch its progress live, stop or
resume it. The runs land in the store like any other and are listed on the Runs page."""

from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

from pages.background import background_runs, start_background
from pages.keys import key_fields, secret_keys
from pages.widgets import fmt_cost, fmt_int, get_store, require_app
from playground.experiments import SETUP_ERRORS, RunHandle, RunSummary, parse_experiment
from playground.providers import Credentials
from playground.safetext import md_code, md_line, md_prose

require_app()

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def start(
    text: str,
    credentials: Credentials,
    resume: str | None = None,
    budget: dict[str, float | None] | None = None,
    batch: bool = False,
) -> None:
    try:
        experiment = None if resume else parse_experiment(tomllib.loads(text))
        if experiment is not None and batch:
            experiment.batch = True  # the provider batch engines, as --batch
    except tomllib.TOMLDecodeError as exc:
        st.error(f"experiment: not valid TOML ({md_line(exc)})")
        return
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))
        return
    start_background(experiment, credentials, resume, budget)


def show(job: RunHandle[RunSummary]) -> None:
    p = job.progress
    c = p.counts
    with st.container(border=True):
        head, stop = st.columns([5, 1])
        resumed = f" · resumed, {p.skipped} already done" if p.skipped else ""
        head.markdown(f"**{md_code(job.run_id)}** · {md_line(job.status)}{resumed}")
        if not job.finished and stop.button("Stop", key=f"stop.{job.run_id}"):
            job.cancel()
        st.progress(p.fraction, text=f"{p.done} of {p.total} transcripts")
        if batches := p.batch_line():
            st.caption(md_line(batches))
        cols = st.columns(5)
        cols[0].metric("ok", fmt_int(c["ok"]), f"{p.correct} correct", delta_color="off")
        cols[1].metric("unparseable", fmt_int(c["unparseable"]))
        cols[2].metric("error", fmt_int(c["error"]))
        cols[3].metric(
            "tokens",
            fmt_int(p.tokens),
            f"{p.cached} cached" if p.cached else None,
            delta_color="off",
        )
        cols[4].metric("cost", fmt_cost(p.cost_usd))
        if job.error:
            st.error(md_prose(job.error))
        if job.summary is not None and job.summary.stopped:
            st.warning(md_prose(f"stopped: {job.summary.stopped}; raise it and resume"))


@st.fragment(run_every=1.0)
def live() -> None:
    jobs = list(background_runs().values())
    if not jobs:
        st.info("No background runs started from this server yet.")
        return
    for job in reversed(jobs):
        show(job)


st.title("Batch")
st.caption(
    "Start an experiment file in the background. Every turn and verdict is written to the store "
    "as it happens; a stopped run can be resumed here or with `playground run --resume RUN_ID`."
)
typed_keys = key_fields(secrets := secret_keys())
credentials = Credentials.from_sources(typed_keys, secrets)

examples = sorted(EXAMPLES.glob("*.toml"))
names = [p.name for p in examples]
# the example that needs no key and no server comes first
default = names.index("debate-local.toml") if "debate-local.toml" in names else 0
choice = st.selectbox("Start from", names, index=default, key="batch.example")
text = st.text_area(
    "Experiment (TOML; see the README for every key)",
    value=(EXAMPLES / choice).read_text() if choice else "",
    height=360,
    key=f"batch.text.{choice}",
)
with st.expander("Budget (0: none); laid over the file's, for a start or a resume"):
    cols = st.columns(3)
    given = {
        "max_cost_usd": cols[0].number_input(
            "Max cost of the run (USD)", min_value=0.0, step=0.5, key="batch.max_cost_usd"
        ),
        "max_transcript_cost_usd": cols[1].number_input(
            "Max cost of a transcript (USD)",
            min_value=0.0,
            step=0.05,
            key="batch.max_transcript_cost_usd",
        ),
        "max_tokens_total": cols[2].number_input(
            "Max tokens of the run", min_value=0, step=10_000, key="batch.max_tokens_total"
        ),
    }
    budget: dict[str, float | None] = {k: v for k, v in given.items() if v}
use_batch = st.checkbox(
    "Send the calls through the providers' batch APIs (half price, results within 24 h)",
    key="batch.engines",
    help="OpenAI Batch and Anthropic Message Batches, wave by wave (as batch = true in the file "
    "or playground run --batch); openai/… and anthropic/… seats only.",
)
left, right = st.columns(2)
if left.button(
    "Start in the background", type="primary", icon=":material/play_arrow:", key="batch.start"
):
    start(text, credentials, budget=budget, batch=use_batch)
stopped = ("interrupted", "running", "budget")
resumable = [r.id for r in get_store().list_runs(50) if r.status in stopped]
resumable = [r for r in resumable if r not in background_runs() or background_runs()[r].finished]
with right:
    pick = st.selectbox(
        "Resume a stopped run",
        resumable,
        index=None,
        key="batch.resume",
        help="Interrupted runs, runs a budget stopped (raise it above), and runs still marked "
        "running whose process was killed. Do not resume a run another process is still "
        "executing.",
    )
    if st.button("Resume", disabled=pick is None, key="batch.resume_button") and pick:
        start("", credentials, resume=pick, budget=budget)

st.subheader("Background runs")
live()
