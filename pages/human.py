"""A person's turn in the page: what the seat sees (exactly the messages a model there would
get, shown as escaped text) and a form for the entry. A judge picks an answer and a
confidence, sent as ``Answer: X`` / ``Confidence: N`` so the usual parser makes the verdict;
an open protocol's arguer picks a side; anyone else types the turn."""

from __future__ import annotations

import streamlit as st

from pages.quotes_view import marked_markdown
from pages.widgets import role_style, role_tag
from playground.experiments import RunHandle
from playground.providers.human import (
    HumanRequest,
    approval_reply,
    choice_reply,
    judgement_reply,
)
from playground.safetext import md_line, md_prose, md_text

ASKS = {
    "judgement": "Decide which answer is correct and how sure you are.",
    "choice": "Choose the answer you will argue for.",
    "approval": "Rate the agent's proposed step by foresight, before anything that follows.",
    "text": "Write this seat's turn.",
}
SPEAKER = {
    "system": "Instructions (system)",
    "user": "Request (user)",
    "assistant": "Earlier reply",
}


def _key(run: RunHandle, request: HumanRequest, name: str) -> str:
    return f"human.{run.id}.{request.id}.{name}"


def render_requests(run: RunHandle, requests: list[HumanRequest]) -> None:
    """One panel per waiting turn (several when two human seats are asked at once)."""
    for request in requests:
        with st.container(border=True):
            st.markdown(f"#### :material/edit_note: Your turn: {role_tag(request.seat)}")
            st.caption(
                f"{ASKS[request.kind]} The run waits for you; what you submit is recorded as "
                "this seat's turn with model `human`."
            )
            seat_view(request)
            entry_form(run, request)


def seat_view(request: HumanRequest) -> None:
    """The messages a model in this seat would get, in order, escaped (quotes the judge is told
    were verified or not are shown on green or red)."""
    with st.expander("What this seat sees", expanded=True, icon=":material/visibility:"):
        for message in request.messages:
            st.markdown(f"**{md_line(SPEAKER.get(message.role, message.role))}**")
            st.markdown(marked_markdown(message.content))
        with st.popover("Exact text", icon=":material/code:"):
            st.caption("The messages character for character, as a model in this seat gets them.")
            for message in request.messages:
                st.code(f"[{message.role}]\n{message.content}", language=None, wrap_lines=True)


def entry_form(run: RunHandle, request: HumanRequest) -> None:
    problem = st.session_state.pop(_key(run, request, "problem"), None)
    if problem:
        st.warning(md_prose(problem))
    answers = request.answers
    labels = sorted(answers) or ["A", "B"]

    def label_text(label: str) -> str:
        answer = answers.get(label)
        return (
            f"Answer {md_line(label)}: {md_text(answer)}" if answer else f"Answer {md_line(label)}"
        )

    with st.form(_key(run, request, "form"), border=False):
        if request.kind == "judgement":
            st.radio(
                "Which answer is correct?",
                labels,
                index=None,
                format_func=label_text,
                key=_key(run, request, "choice"),
            )
            st.slider(
                "Confidence (%)",
                50,
                100,
                75,
                step=5,
                key=_key(run, request, "confidence"),
                help="50: a coin flip; 100: certain.",
            )
        elif request.kind == "approval":
            st.slider(
                "Approval",
                0.0,
                1.0,
                0.5,
                step=0.05,
                key=_key(run, request, "approval"),
                help="0: a bad step; 1: a good step toward truly solving the task.",
            )
            st.text_input("Rationale (one sentence)", key=_key(run, request, "rationale"))
        elif request.kind == "choice":
            st.radio(
                "Which answer will you argue for?",
                labels,
                index=None,
                format_func=label_text,
                key=_key(run, request, "choice"),
            )
        else:
            judge = request.seat.startswith("judge")
            st.text_area(
                "Your question for the arguers" if judge else "Your turn",
                key=_key(run, request, "text"),
                height=160,
                placeholder="Ask one short question."
                if judge
                else "Argue your side. Quote the passage inside <quote>…</quote> where it helps.",
            )
        st.form_submit_button(
            "Submit",
            type="primary",
            icon=":material/send:",
            key=_key(run, request, "submit"),
            on_click=_submit,
            args=(run, request),
        )


def _submit(run: RunHandle, request: HumanRequest) -> None:
    """Form callback (runs before the rerun): hand the entry to the waiting turn."""
    state = st.session_state
    reply, problem = "", None
    if request.kind == "text":
        reply = str(state.get(_key(run, request, "text")) or "").strip()
        problem = None if reply else "Write something first."
    elif request.kind == "approval":
        rationale = str(state.get(_key(run, request, "rationale")) or "").strip()
        approval = float(state.get(_key(run, request, "approval"), 0.5))
        reply = approval_reply(approval, rationale or "(none given)")
    else:
        label = state.get(_key(run, request, "choice"))
        if label is None:
            problem = "Choose an answer first."
        elif request.kind == "judgement":
            reply = judgement_reply(label, int(state.get(_key(run, request, "confidence"), 75)))
        else:
            reply = choice_reply(label)
    if problem:
        state[_key(run, request, "problem")] = problem
    elif not run.desk.answer(request.id, reply):
        name = role_style(request.seat).name
        st.toast(f"{name}'s turn is no longer waiting: the run has ended.", icon=":material/info:")
