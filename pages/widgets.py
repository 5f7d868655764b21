"""Page building blocks shared by the Debate and Runs pages: the cached store, role styling,
number formats, renderers for items, assignments, turns and verdicts, and the live view of a
running debate.

Untrusted text (model output, dataset text, names, ids, reasons) is only ever shown through
`playground.safetext` (`md` is its Markdown-prose form) or `st.code`/`st.text`.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from playground.events import (
    TextDelta,
    TranscriptStarted,
    TurnCompleted,
    TurnRestarted,
    TurnStarted,
    VerdictReached,
)
from playground.protocols import seat_style
from playground.protocols.reading import measurement
from playground.protocols.spec import SeatStyle
from playground.records import Assignment, Item, Turn, Verdict
from playground.safetext import md_code, md_line
from playground.safetext import md_prose as md  # model and dataset prose (pages import it here)
from playground.store import Store, TranscriptView, default_url

APP = Path(__file__).resolve().parents[1] / "app.py"
LABELS = ("A", "B", "C", "D", "E", "F")  # the judge's names for answers, in display order


def role_name(role: str) -> str:
    """A seat's name as plain text (for plot labels: escape it with `safetext.plot_text`)."""
    return seat_style(role).name


def role_style(role: str) -> SeatStyle:
    """How a seat looks, as the protocols declare it (`ProtocolInfo.seat_styles`), its name
    escaped for Markdown (`md_line`: an undeclared role is named after itself)."""
    style = seat_style(role)
    return style.model_copy(update={"name": md_line(style.name)})


def role_tag(role: str) -> str:
    """The role's name in bold and in its colour, as markdown."""
    style = role_style(role)
    return f":{style.color}[**{style.name}**]"


# -- entry --------------------------------------------------------------------------------------

_entry = threading.local()  # Streamlit runs each session's script on its own thread


@contextmanager
def through_app() -> Iterator[None]:
    """Marks the pages run by app.py's navigation (see `require_app`)."""
    _entry.active = True
    try:
        yield
    finally:
        _entry.active = False


def require_app() -> None:
    """Run a page that was started on its own through app.py instead, then stop.

    Streamlit runs a page file alone, in its legacy ``pages/`` folder mode, until app.py's
    `st.navigation` has run once in the process: for the first visitor of a fresh server who
    opens a page URL (``/runs``), and for every rerun under `AppTest`. app.py then sets up the
    page and the navigation, and runs the same page (same widgets, same state) through them.
    """
    if not getattr(_entry, "active", False):
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()


# -- the store ------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    """The store named by ``PLAYGROUND_DB`` (or the default file), opened once per URL."""
    return _open_store(default_url())


# -- formats --------------------------------------------------------------------------------


def quoted(text: str) -> str:
    return f"“{md(text.strip())}”"


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def fmt_cost(value: float | None) -> str:
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    return "<$0.0001" if value < 0.0001 else f"${value:,.4f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


# -- items and assignments ------------------------------------------------------------------


def render_item(item: Item, *, reveal: bool = False) -> None:
    """Question, candidate answers, the passage in an expander; the true answer only if asked."""
    st.markdown(f"**Question.** {md(item.question)}")
    for number, answer in enumerate(item.answers, 1):
        mark = " :green-badge[true answer]" if reveal and number - 1 == item.correct else ""
        st.markdown(f"{number}. {md(answer)}{mark}")
    if item.passage:
        with st.expander("Passage: the debaters see it, the judge does not"):
            st.markdown(md(item.passage))


def render_assignment(item: Item, assignment: Assignment, *, reveal: bool) -> None:
    """Who defended which answer, under which label the judge saw it, and whether swapped;
    which answer is true only with ``reveal`` (once there is a verdict)."""
    lines = []
    for role, index in assignment.seats.items():
        label = _label_of(assignment, index)
        truth = " :green-badge[true]" if reveal and index == item.correct else ""
        answer = quoted(item.answers[index])
        lines.append(f"- {role_tag(role)} defends Answer {label}: {answer}{truth}")
    st.markdown("\n".join(lines))
    order = ", ".join(
        f"{LABELS[i]} = answer {index + 1}" for i, index in enumerate(assignment.display_order)
    )
    swapped = "yes" if assignment.swapped else "no"
    st.caption(f"Judge's display order: {order} · positions swapped: {swapped}")


def _label_of(assignment: Assignment, index: int) -> str:
    order = assignment.display_order
    return LABELS[order.index(index)] if index in order else "—"


# -- turns ----------------------------------------------------------------------------------


def turn_header(role: str, round_: int | None, model: str, rounds: int | None = None) -> str:
    parts = [role_tag(role)]
    if round_ is not None:
        parts.append(f"round {round_}" + (f" of {rounds}" if rounds else ""))
    parts.append(md_code(model))
    return " · ".join(parts)


def turn_footer(turn: Turn) -> str:
    parts = [
        f"tokens {fmt_int(turn.input_tokens)} in / {fmt_int(turn.output_tokens)} out",
        fmt_ms(turn.latency_ms),
        fmt_cost(turn.cost_usd),
    ]
    if turn.resolved_model and turn.resolved_model != turn.model.split("/", 1)[-1]:
        parts.append(f"served by {md_code(turn.resolved_model)}")
    if turn.prompt_id:
        parts.append(f"prompt {md_code(turn.prompt_id)} @ {md_code((turn.prompt_hash or '')[:8])}")
    if turn.cached:
        parts.append("cached")
    if turn.retries:
        parts.append(f"{turn.retries} retr{'y' if turn.retries == 1 else 'ies'}")
    return " · ".join(parts)


def render_turn_body(turn: Turn, body, footer) -> None:
    """Fill a turn's placeholders once it is complete (live or read back from the store)."""
    if turn.error:
        body.markdown(f":red[**Call failed.**] {md(turn.error)}")
    else:
        body.markdown(md(turn.content) if turn.content.strip() else "_(empty reply)_")
    footer.caption(turn_footer(turn))


def render_turn(turn: Turn, rounds: int | None = None) -> None:
    style = role_style(turn.role)
    with st.chat_message(turn.role, avatar=style.avatar):
        st.markdown(turn_header(turn.role, turn.round, turn.model, rounds))
        render_turn_body(turn, st.empty(), st.empty())


# -- verdicts -------------------------------------------------------------------------------

MARKERS = {
    True: ":green-badge[:material/check: Correct]",
    False: ":red-badge[:material/close: Wrong]",
    "unparseable": ":orange-badge[:material/help: UNPARSEABLE]",
    "error": ":red-badge[:material/error: ERROR]",
}


def verdict_marker(verdict: Verdict, is_correct: bool | None) -> str:
    if verdict.status != "ok":
        return MARKERS[verdict.status]
    if is_correct is None:
        return ":gray-badge[:material/check: OK · NOT SCORED]"
    return MARKERS[bool(is_correct)]


def metrics_line(metrics: dict[str, Any]) -> str | None:
    """A measurement verdict in one line, as its protocol's metrics model writes it (a
    consistency check's violation, an approval), escaped there; None when there is nothing."""
    found = measurement(metrics)
    return (found.markdown() or None) if found is not None else None


def render_verdict(
    item: Item, assignment: Assignment, verdict: Verdict, is_correct: bool | None
) -> None:
    """The judge's choice, credences, and a clear correct / wrong / unparseable / error marker."""
    with st.container(border=True):
        st.markdown(f"{role_tag(verdict.role)} verdict {verdict_marker(verdict, is_correct)}")
        line = metrics_line(verdict.metrics) if verdict.metrics else None
        if line:
            st.markdown(line)
        if verdict.status == "ok" and verdict.choice is None:
            pass  # a measurement: the line above says it
        elif verdict.status == "ok" and verdict.choice is not None:
            label = _label_of(assignment, verdict.choice)
            st.markdown(f"Chose **Answer {label}**: {quoted(item.answers[verdict.choice])}")
            if verdict.credences:
                shown = [
                    f"Answer {_label_of(assignment, i)} **{fmt_pct(verdict.credences[i])}**"
                    for i in assignment.display_order
                ]
                st.markdown("Credences: " + " · ".join(shown))
            else:
                st.caption(f"No credences: {md_line(verdict.reason or 'none given')}")
        elif verdict.status == "unparseable":
            reason = md(verdict.reason or "unknown reason")
            st.markdown(f"No clear choice could be read: {reason}")
            st.caption("Raw reply")
            st.code(verdict.raw or "(empty)", language=None, wrap_lines=True)
        else:
            reason = md(verdict.reason or "unknown reason")
            st.markdown(f"The transcript could not finish: {reason}")
        if item.correct is not None:
            st.caption(f"True answer: {quoted(item.answers[item.correct])}")


def render_transcript(view: TranscriptView, rounds: int | None = None) -> None:
    """A stored transcript: who defended what, every turn, and its verdicts."""
    render_assignment(view.item, view.assignment, reveal=bool(view.verdicts))
    for turn in view.turns:
        render_turn(turn, rounds)
    for _, verdict, is_correct in view.verdicts:
        render_verdict(view.item, view.assignment, verdict, is_correct)
    if view.status == "running":
        st.caption("This transcript is still running, or was cut off before it finished.")


# -- a debate as it runs ---------------------------------------------------------------------


@dataclass
class _LiveTurn:
    text: str
    body: Any
    note: Any


class LiveView:
    """Renders the events of a running debate into the page as they arrive."""

    def __init__(self, rounds: int, total_calls: int, status: Any) -> None:
        self.rounds, self.total, self.status = rounds, total_calls, status
        self.transcripts: dict[str, tuple[Any, TranscriptStarted]] = {}
        self.turns: dict[tuple[str, int], _LiveTurn] = {}
        self.dirty: set[tuple[str, int]] = set()
        self.done = 0

    def apply(self, event: Any) -> None:
        match event:
            case TranscriptStarted():
                box = st.container(border=True)
                swapped = " · positions swapped" if event.assignment.swapped else ""
                box.markdown(f"**Transcript {len(self.transcripts) + 1}**{swapped}")
                with box:
                    render_assignment(event.item, event.assignment, reveal=False)
                self.transcripts[event.transcript_id] = (box, event)
            case TurnStarted():
                box = self.transcripts[event.transcript_id][0]
                message = box.chat_message(event.role, avatar=role_style(event.role).avatar)
                message.markdown(turn_header(event.role, event.round, event.model, self.rounds))
                body, note = message.empty(), message.empty()
                body.caption("waiting for the first words…")
                self.turns[(event.transcript_id, event.index)] = _LiveTurn("", body, note)
                speaker = role_style(event.role).name
                self.progress(f"{speaker} is speaking" if event.round else f"{speaker} is deciding")
            case TextDelta():
                self.turns[(event.transcript_id, event.index)].text += event.text
                self.dirty.add((event.transcript_id, event.index))
            case TurnRestarted():
                turn = self.turns[(event.transcript_id, event.index)]
                turn.text = ""
                self.dirty.discard((event.transcript_id, event.index))
                turn.body.caption("retrying…")
                turn.note.caption(
                    f":orange[Retrying after an error] ({md_line(event.error)}); partial text "
                    "discarded."
                )
            case TurnCompleted():
                turn = self.turns[(event.transcript_id, event.turn.index)]
                self.dirty.discard((event.transcript_id, event.turn.index))
                render_turn_body(event.turn, turn.body, turn.note)
                self.done += 1
                self.progress("")
            case VerdictReached():
                box, start = self.transcripts[event.transcript_id]
                with box:
                    render_verdict(start.item, start.assignment, event.verdict, event.is_correct)

    def flush(self) -> None:
        """Show the text streamed since the last flush (one update per turn per batch)."""
        for key in self.dirty:
            self.turns[key].body.markdown(md(self.turns[key].text) + " ▌")
        self.dirty.clear()

    def progress(self, now: str) -> None:
        label = f"Running the debate: {self.done} of {self.total} calls done"
        self.status.update(label=f"{label} · {now}" if now else label)
