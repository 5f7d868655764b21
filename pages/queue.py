"""Queue page: a signed-in person's next study task, exactly what the study lets their seat see
(`playground.studies.TaskView`), a verdict and credence control, a rationale box, their
progress ("12 of 40") and skip with a reason. Stepped tasks reveal one speech at a time with a
credence after each. All text from the store goes through `playground.safetext`."""

from __future__ import annotations

import streamlit as st

from pages.team import current_person
from pages.widgets import get_store, md, require_app
from playground.safetext import md_line
from playground.studies import (
    StudyError,
    TaskView,
    list_studies,
    next_task,
    progress,
    skip,
    submit,
)
from playground.team import audit

require_app()
store = get_store()
person = current_person()
st.title("Queue")
if person is None:
    st.info("The queue is for a team's signed-in people: start the app with --team.")
    st.stop()

studies = [
    s
    for s in list_studies(store)
    if s.status == "open" and (not s.spec.people or person in s.spec.people)
]
if not studies:
    st.info("No open study for you right now.")
    st.stop()
names = {s.id: s.name for s in studies}
study_id = st.selectbox(
    "Study", list(names), format_func=lambda sid: f"{names[sid]} ({sid})", key="queue_study"
)
mine = progress(store, study_id, person)
st.markdown(
    f"**{mine.done} of {mine.total}** done" + (f" · {mine.skipped} skipped" if mine.skipped else "")
)
st.progress(mine.done / mine.total if mine.total else 1.0)

try:
    task = next_task(store, study_id, person)
except StudyError as error:
    st.error(md_line(str(error)))
    st.stop()
if task is None:
    st.success("Nothing left for you in this study. Thank you!")
    st.stop()
me: str = person  # narrowed above: what done() below records as the actor
this: TaskView = task


def confidence_control(view: TaskView, key: str, label: str) -> list[float] | None:
    """A choice among the answers and how sure (50–100 %), as credences in answer order."""
    labels = {a.index: f"{a.label}: {a.text}" for a in view.answers}
    choice = st.radio(
        label, list(labels), format_func=lambda i: labels[i], index=None, key=f"{key}_choice"
    )
    sure = st.slider("How sure are you (%)", 50, 100, 75, key=f"{key}_sure")
    if choice is None:
        return None
    n = len(view.answers)
    rest = (1 - sure / 100) / (n - 1) if n > 1 else 0.0
    return [sure / 100 if i == choice else rest for i in range(n)]


def show_speech(number: int, speech) -> None:
    who = md_line(speech.role) + (f" ({md_line(speech.model)})" if speech.model else "")
    with st.chat_message("assistant", avatar=":material/record_voice_over:"):
        st.caption(f"Speech {number} · {who}")
        st.markdown(md(speech.text))


def done(verdict_id: str, what: str) -> None:
    audit.record(store, me, what, f"{this.study_id}/{this.task_id}", {"verdict_id": verdict_id})
    for k in [k for k in st.session_state if str(k).startswith(f"q_{this.assignment_id}")]:
        del st.session_state[k]
    st.rerun()


key = f"q_{task.assignment_id}"
if task.time_limit_s:
    st.caption(f"Time limit: {task.time_limit_s:.0f} s per task.")

if task.kind == "approval" and task.step is not None:
    step = task.step
    st.subheader(f"Step {step.number}: {md_line(step.name)}")
    st.markdown("**What the agent observes**")
    st.markdown(md(step.observation))
    st.markdown("**Its instruction**")
    st.markdown(md(step.instruction))
    st.markdown("**What it proposes to do**")
    st.markdown(md(step.proposal))
    approval = st.slider(
        "Your approval (0 = bad step, 1 = good step)", 0.0, 1.0, 0.5, 0.05, key=f"{key}_approval"
    )
    rationale = st.text_input("Why, in one sentence", key=f"{key}_rationale")
    if st.button("Submit", type="primary", key=f"{key}_submit"):
        try:
            done(
                submit(store, task.assignment_id, person, approval=approval, rationale=rationale),
                "task.judge",
            )
        except StudyError as error:
            st.error(md_line(str(error)))
else:
    st.subheader(md_line(task.question))
    if task.passage:
        with st.expander("Passage"):
            st.markdown(md(task.passage))
    for answer in task.answers:
        st.markdown(f"**{answer.label}.** " + md_line(answer.text))
    if task.true_answer is not None:
        shown = next((a.label for a in task.answers if a.index == task.true_answer), "?")
        st.caption(f"True answer (shown by this study): {shown}")
    if task.other_verdicts:
        st.caption(
            "Other people's verdicts: "
            + ", ".join(str(v.choice) if v.choice is not None else "—" for v in task.other_verdicts)
        )
    interim: list[list[float]] = st.session_state.setdefault(f"{key}_interim", [])
    if task.stepped:
        shown_n = len(interim) + 1
        for n, speech in enumerate(task.speeches[:shown_n], start=1):
            show_speech(n, speech)
        if shown_n <= len(task.speeches):
            st.markdown(f"After speech {shown_n} of {len(task.speeches)}:")
            cred = confidence_control(
                task, f"{key}_step{shown_n}", "Which answer is right, so far?"
            )
            if st.button("Next", type="primary", key=f"{key}_next{shown_n}", disabled=cred is None):
                interim.append(cred)  # type: ignore[arg-type]
                st.rerun()
    else:
        for n, speech in enumerate(task.speeches, start=1):
            show_speech(n, speech)
    if not task.stepped or len(interim) == len(task.speeches):
        st.markdown("**Your verdict**")
        credences = confidence_control(task, f"{key}_final", "Which answer is right?")
        rationale = st.text_area("Rationale (optional)", key=f"{key}_rationale")
        if st.button("Submit", type="primary", key=f"{key}_submit", disabled=credences is None):
            try:
                vid = submit(
                    store, task.assignment_id, person, credences=credences, rationale=rationale,
                    interim=list(interim) if task.stepped else None,
                )  # fmt: skip
                done(vid, "task.judge")
            except StudyError as error:
                st.error(md_line(str(error)))

with st.expander("Skip this task"):
    reason = st.text_input("Why skip it?", key=f"{key}_skip_reason")
    if st.button("Skip", key=f"{key}_skip"):
        try:
            skip(store, task.assignment_id, person, reason)
            audit.record(
                store,
                person,
                "task.skip",
                f"{task.study_id}/{task.task_id}",
                {"reason": reason.strip()},
            )
            for k in [k for k in st.session_state if str(k).startswith(key)]:
                del st.session_state[k]
            st.rerun()
        except StudyError as error:
            st.error(md_line(str(error)))
