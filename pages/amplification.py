"""Amplification page: decompose a question into a subquestion tree, watch it grow, get answered
and checked live, then steer it: replace a node's answer by hand or re-run a subtree, and see
the ancestors recomputed beside the original. Runs and forks are executed and logged by the
library (`playground.protocols.amplification`)."""

from __future__ import annotations

from typing import Any, Literal

import streamlit as st

from pages.amplification_live import run_live
from pages.amplification_view import DEFAULTS, compare, render_item, render_tree, verdict_lines
from pages.keys import key_fields, secret_keys
from pages.protocol_form import seat_settings
from pages.question import pick_question
from pages.team import current_person
from pages.widgets import get_store, require_app
from playground.experiments import SETUP_ERRORS, ExperimentError, RunHandle, parse_experiment
from playground.experiments.tree_fork import fork_tree
from playground.providers import Credentials
from playground.safetext import md_prose
from playground.store import Store

ROLES = ("decomposer", "answerer", "recombiner", "checker")
CHECKS = ("justification", "resample", "direct")


# -- page -----------------------------------------------------------------------------------

require_app()
st.title("Amplification")
st.caption(
    "A question is split into subquestions, recursively; the leaves are answered and the answers "
    "recombined upward, with checks at every internal node. Every call is logged."
)
typed_keys = key_fields(secrets := secret_keys())
store: Store = get_store()

pick, budgets = st.columns([3, 2], gap="large")
pick.subheader("Question")
picked = pick_question(pick, "amp.")
if picked is None:
    st.stop()
ref, item = picked
with pick.container(border=True):
    render_item(item)

budgets.subheader("Budgets and checks")
max_depth = budgets.number_input(
    "Max depth", 0, 4, 1, key="amp.max_depth", help="The root is depth 0."
)
max_branching = budgets.number_input("Max subquestions per node", 2, 6, 2, key="amp.max_branching")
max_calls = budgets.number_input(
    "Max tree calls",
    1,
    500,
    20,
    key="amp.max_calls",
    help="Decompose, answer and recombine calls; checks are extra.",
)
checks = budgets.multiselect("Checks", CHECKS, default=list(CHECKS), key="amp.checks")
resample = budgets.radio("Resample by", ["shuffle", "sample"], horizontal=True, key="amp.resample")
cache = budgets.checkbox("Reuse identical earlier calls", key="amp.cache")

st.subheader("Seats")
st.caption("The resample check uses the recombiner's seat.")
roles: dict[str, dict[str, Any]] = {}
problems: list[str] = []
server_keys: dict[str, str] = {}
for role, column in zip(ROLES, st.columns(len(ROLES)), strict=True):
    with column.container(border=True):
        roles[role], problem, keys = seat_settings(
            role, key_prefix="amp.", defaults=(0.0, DEFAULTS[role]), human=False
        )
        problems += [problem] if problem else []
        server_keys |= keys
credentials = Credentials.from_sources(server_keys, typed_keys, secrets)

if st.button("Run tree", type="primary", icon=":material/account_tree:", key="amp.run"):
    try:
        if problems:
            raise ExperimentError(problems[0])
        experiment = parse_experiment(
            {
                "name": f"amplification · {item.id}",
                "protocol": "amplification",
                "dataset": ref,
                "items": [item.id],
                "tags": ["page"],
                "concurrency": 1,
                "cache": cache,
                "options": {
                    "max_depth": int(max_depth),
                    "max_branching": int(max_branching),
                    "max_calls": int(max_calls),
                    "checks": checks,
                    "resample": resample,
                },
                "roles": roles,
            }
        )
    except SETUP_ERRORS as exc:
        st.error(md_prose(str(exc)))
    else:
        st.session_state.pop("amp.live", None)
        done = run_live(
            "Growing the tree…",
            RunHandle.for_experiment(
                experiment,
                store,
                credentials=credentials,
                source="page",
                stream=True,
                created_by=current_person(),
            ),
        )
        if done is not None and st.session_state.get("amp.live"):
            st.session_state["amp.tree"] = st.session_state["amp.live"]
            st.session_state.pop("amp.fork", None)

tree_id = st.session_state.get("amp.tree")
view = store.get_transcript(tree_id) if tree_id else None
if view is not None:
    st.subheader("Tree")
    st.markdown(verdict_lines(view.verdicts, view.item.answers))
    nodes = render_tree(view)
    st.subheader("Steer")
    node_id = st.selectbox(
        "Node",
        [n for n in nodes if n != "1"] or ["1"],
        key="amp.node",
        format_func=lambda n: f"{n} · {nodes[n].question[:80]}",
    )
    new_answer = st.text_area("New answer (recorded as a human turn)", key="amp.new_answer")
    edit, rerun = st.columns(2)
    action: tuple[Literal["edit", "rerun"], str | None] | None = None
    if edit.button("Apply edit", icon=":material/edit:", key="amp.edit", disabled=node_id == "1"):
        action = ("edit", new_answer)
    if rerun.button("Re-run this subtree", icon=":material/refresh:", key="amp.rerun"):
        action = ("rerun", None)
    if action is not None:
        kind, text = action
        steered_id = view.id
        try:
            if kind == "edit" and not (text or "").strip():
                raise ExperimentError("write the new answer first")
            forked = run_live(
                "Recomputing the ancestors…",
                RunHandle(
                    lambda options: fork_tree(
                        store, steered_id, node_id, kind, options, answer=text
                    ),
                    credentials=credentials,
                    source="page",
                    created_by=current_person(),
                    stream=True,
                ),
            )
        except SETUP_ERRORS as exc:
            st.error(md_prose(str(exc)))
        else:
            if forked is not None:
                st.session_state["amp.fork"] = forked.transcript_id
    fork_id = st.session_state.get("amp.fork")
    forked_view = store.get_transcript(fork_id) if fork_id else None
    if forked_view is not None and forked_view.parent_id == view.id:
        st.subheader("Before and after")
        compare(view, forked_view)
        if st.button("Continue steering the changed tree", key="amp.adopt"):
            st.session_state["amp.tree"] = fork_id
            st.session_state.pop("amp.fork")
            st.rerun()
