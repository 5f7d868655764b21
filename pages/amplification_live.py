"""The live view of a running amplification tree (or fork): the run goes on in a `RunHandle`
(its own thread and event loop) while the page's thread replays its events, redrawing the
growing tree and the calls in flight."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from pages.amplification_view import tree_markdown, verdict_lines
from pages.widgets import md, role_style
from playground.events import (
    TextDelta,
    TranscriptStarted,
    TurnCompleted,
    TurnRestarted,
    TurnStarted,
    VerdictReached,
)
from playground.experiments import RunHandle
from playground.protocols.amplification import tree_from_turns
from playground.records import Item, Turn
from playground.safetext import md_prose

T = TypeVar("T")
FLIGHT_EVERY = 0.25
WAKE_S = 0.5
"""How long the page waits for the next event before looking again."""


@dataclass
class LiveTree:
    """The trees of a running experiment or fork, redrawn from its events as they arrive: the
    tree when a turn or verdict lands, the calls in flight at most every `FLIGHT_EVERY` s (a
    redraw per token would compete with an in-process model for the CPU)."""

    tree_slot: Any
    flight_slot: Any
    items: dict[str, Item] = field(default_factory=dict)
    turns: dict[str, list[Turn]] = field(default_factory=dict)
    verdicts: dict[str, list[Any]] = field(default_factory=dict)
    flight: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    tree_dirty: bool = False
    flight_dirty: bool = False
    flight_drawn: float = 0.0

    def apply(self, event: Any) -> None:
        match event:
            case TranscriptStarted():
                self.items[event.transcript_id] = event.item
                self.turns[event.transcript_id], self.verdicts[event.transcript_id] = [], []
                st.session_state["amp.live"] = event.transcript_id
            case TurnStarted():
                self.flight[(event.transcript_id, event.index)] = [event.role, ""]
            case TextDelta():
                self.flight[(event.transcript_id, event.index)][1] += event.text
            case TurnRestarted():
                self.flight[(event.transcript_id, event.index)][1] = ""
            case TurnCompleted():
                self.flight.pop((event.transcript_id, event.turn.index), None)
                self.turns[event.transcript_id].append(event.turn)
                self.tree_dirty = True
            case VerdictReached():
                verdict = (event.verdict_id, event.verdict, event.is_correct)
                self.verdicts[event.transcript_id].append(verdict)
                self.tree_dirty = True
        self.flight_dirty = True

    def flush(self, force: bool = False) -> None:
        if self.tree_dirty:
            with self.tree_slot.container():
                for tid, item in self.items.items():
                    st.markdown(tree_markdown(tree_from_turns(item.question, self.turns[tid])))
                    if self.verdicts[tid]:
                        st.markdown(verdict_lines(self.verdicts[tid], item.answers))
            self.tree_dirty = False
        now = time.monotonic()
        if self.flight_dirty and (force or now - self.flight_drawn >= FLIGHT_EVERY):
            with self.flight_slot.container():
                for (_, index), (role, text) in sorted(self.flight.items()):
                    tail = md(text[-300:]) if text else "_waiting for the first words…_"
                    st.caption(f"**{role_style(role).name}** · turn {index}: {tail} ▌")
            self.flight_dirty, self.flight_drawn = False, now


def run_live(label: str, run: RunHandle[T]) -> T | None:
    """Start ``run`` and draw its events here until it ends; what it returned, or None after
    showing its error."""
    status = st.status(label, expanded=True)
    with status:
        view = LiveTree(st.empty(), st.empty())
    run.start(timeout=0)
    seen = 0
    while True:
        ended = run.finished  # read first: every event before the end is then in the log
        events = run.events(seen)
        seen += len(events)
        for event in events:
            view.apply(event)
        view.flush(force=ended)
        if ended:
            break
        run.wait(seen, WAKE_S)
    view.flight_slot.empty()
    if run.status != "done":
        status.update(label="The run stopped", state="error")
        st.error(md_prose(run.error or "The run was stopped."))
        return None
    status.update(label=f"{label.rstrip('…')}: done", state="complete", expanded=False)
    return run.result
