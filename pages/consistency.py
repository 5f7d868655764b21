"""Consistency page: pick check families, a model under test and items; run the checks in the
background and watch per-item violations and the per-family summary fill in live. Every check
is a logged run like any other (Runs, Analysis, export)."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

import streamlit as st

from pages.background import background_runs, start_background
from pages.keys import key_fields, secret_keys
from pages.protocol_form import seat_settings
from pages.widgets import fmt_int, get_store, require_app
from playground.analysis import load_frames
from playground.datasets import DatasetError, load_dataset
from playground.experiments import SETUP_ERRORS, parse_experiment
from playground.protocols import protocols
from playground.protocols.base import LOGGED
from playground.protocols.consistency import FAMILY_LABELS
from playground.protocols.consistency.report import instances, summary
from playground.providers import Credentials
from playground.safetext import md_code, md_prose

require_app()

FAMILIES = FAMILY_LABELS
FRAMINGS = {
    "consistency/elicit": "an answerer",
    "consistency/elicit_judge": "a judge",
    "consistency/elicit_debater": "a debater",
}
DEBATE_PROTOCOLS = tuple(name for name, cls in protocols().items() if cls.info.argues)
"""Protocols whose transcripts judge checks can re-present (`ProtocolInfo.argues`)."""


def source_settings() -> str | None:
    """The dataset reference: the built-in checks, a JSONL file, or a logged debate run."""
    kind = st.radio(
        "Checks from",
        ["builtin", "file", "run"],
        format_func={
            "builtin": "Built-in set (builtin:consistency)",
            "file": "A JSONL file of checks",
            "run": "Debates in the log (judge checks)",
        }.get,
        horizontal=True,
        key="cons.source",
    )
    if kind == "builtin":
        return "builtin:consistency"
    if kind == "file":
        path = st.text_input("Path to the JSONL file", key="cons.path").strip()
        return path or None
    runs = [r for r in get_store().list_runs(200) if r.protocol in DEBATE_PROTOCOLS]
    if not runs:
        st.info("No debate or consultancy runs in the log yet: run one on the Debate page.")
        return None
    pick = st.selectbox(
        "Logged run", runs, format_func=lambda r: f"{r.id} · {r.name}", key="cons.run"
    )
    return f"{LOGGED}{pick.id}" if pick else None


def item_ids(ref: str, families: list[str]) -> list[str] | None:
    """Item ids of the chosen families, taking each family in turn so that the first N cover
    every family (a logged run's are all judge checks: None, run them all)."""
    if ref.startswith(LOGGED):
        return None
    try:
        items = load_dataset(ref).items
    except DatasetError as exc:
        st.error(md_prose(str(exc)))
        return []
    by_family: dict[str, list[str]] = {f: [] for f in families}
    for item in items:
        family = item.meta.get("check", {}).get("family")
        if family in by_family:
            by_family[family].append(item.id)
    rounds = zip_longest(*by_family.values())
    return [i for turn in rounds for i in turn if i is not None]


def start(experiment: dict[str, Any], credentials: Credentials) -> None:
    try:
        parsed = parse_experiment(experiment)
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))
        return
    run_id = start_background(parsed, credentials)
    if run_id is not None:
        st.session_state["cons.current"] = run_id


@st.fragment(run_every=1.0)
def live(run_id: str) -> None:
    job = background_runs().get(run_id)
    store = get_store()
    if job is not None:
        p = job.progress
        st.progress(p.fraction, text=f"{p.done} of {p.total} checks · {job.status}")
        if job.error:
            st.error(md_prose(job.error))
    frames = load_frames(store, [run_id], text=True, turns=False)
    table = summary(frames.verdicts)
    st.markdown("**Summary per family** (violation 0 = coherent; unparsed answers excluded)")
    if table.empty:
        st.caption("No check finished yet.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    rows = instances(frames.verdicts)
    st.markdown(f"**Per check** ({fmt_int(len(rows))})")
    if not rows.empty:
        st.dataframe(
            rows.drop(columns=["run_id"]),
            hide_index=True,
            width="stretch",
            column_config={"violation": st.column_config.ProgressColumn(min_value=0, max_value=1)},
        )


st.title("Consistency")
st.caption(
    "Ask a model logically related questions and measure how far its answers are from "
    "coherent. Probabilities are parsed strictly: an unreadable answer is counted and left "
    "out, never guessed. Judge checks re-judge logged debates with positions swapped, the "
    "question paraphrased and the labels renamed."
)
typed_keys = key_fields(secrets := secret_keys())

families: list[str] = st.multiselect(
    "Check families",
    list(FAMILIES),
    default=[f for f in FAMILIES if f != "judge"],
    format_func=FAMILIES.__getitem__,
    key="cons.families",
)
ref = source_settings()
if ref and ref.startswith(LOGGED):
    families = ["judge"]  # a logged run gives judge checks only
ids = item_ids(ref, families) if ref else []
chosen: list[str] | None = None
if ids:
    limit = st.slider("Checks to run", 1, len(ids), min(len(ids), 12), key="cons.limit")
    chosen = ids[:limit]

left, right = st.columns(2)
with left.container(border=True):
    subject, problem, server_keys = seat_settings(
        "subject", key_prefix="cons.", defaults=(0.0, 24), human=False
    )
    framing = st.selectbox(
        "Ask it as", list(FRAMINGS), format_func=FRAMINGS.__getitem__, key="cons.framing"
    )
with right.container(border=True):
    write_variants = st.checkbox(
        "Write missing variants with a model",
        key="cons.write",
        help="A variant_writer seat writes negations, paraphrases, A∧B, A∨B, B given A and "
        "question paraphrases an item leaves out; its texts are recorded for review.",
    )
    judge_variants = st.multiselect(
        "Judge variants",
        ["swap", "paraphrase", "rename"],
        default=["swap", "rename"] + (["paraphrase"] if write_variants else []),
        key="cons.judge_variants",
    )
    writer: dict[str, Any] = {}
    if write_variants:
        writer, writer_problem, writer_keys = seat_settings(
            "variant_writer", key_prefix="cons.", defaults=(0.7, 96), human=False
        )
        problem = problem or writer_problem
        server_keys |= writer_keys

if st.button("Run checks", type="primary", icon=":material/play_arrow:", key="cons.start"):
    if problem:
        st.error(md_prose(problem))
    elif not ref or not families:
        st.error("choose at least one family and where the checks come from")
    else:
        roles = {"subject": subject | {"prompt": framing}}
        if write_variants:
            roles["variant_writer"] = writer
        start(
            {
                "name": f"consistency · {', '.join(families)}",
                "protocol": "consistency",
                "dataset": ref,
                **({"items": chosen} if chosen is not None else {}),
                "tags": ["page"],
                "concurrency": 2,
                "options": {
                    "families": families,
                    "write_variants": write_variants,
                    "judge_variants": judge_variants or ["swap"],
                },
                "roles": roles,
            },
            Credentials.from_sources(server_keys, typed_keys, secrets),
        )

if current := st.session_state.get("cons.current"):
    st.subheader(f"Run {md_code(current)}")
    live(current)
