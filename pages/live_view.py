"""Following a `RunHandle` on the page: replay its events into a live view, keep streaming until
the run ends or a person's turn is due, and under every finished transcript show the quotes
each side cited and, with per-round judging, the judge's credence curve."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pages.credences import render_credences
from pages.quotes_view import render_quotes
from pages.widgets import LiveView, role_style
from playground.events import TranscriptFinished, TurnCompleted, TurnStarted, VerdictReached
from playground.experiments import HumanAsked, RunHandle
from playground.protocols.quotes import QuoteMode
from playground.providers.human import HUMAN, HumanRequest
from playground.records import Assignment, Item, Turn, Verdict

IDLE_TICK_S = 0.5
"""How long the page waits for news before touching the page again, so a click elsewhere
(which Streamlit handles at the script's next page update) is not held up."""


def render_extras(
    item: Item,
    assignment: Assignment,
    turns: Sequence[Turn],
    verdicts: Sequence[Verdict],
    quotes: QuoteMode,
    key: str,
) -> None:
    """Under a finished transcript: quotes against the passage, then credences per round."""
    render_quotes(item, assignment, turns, quotes)
    render_credences(turns, verdicts, item.correct, key=f"credences.{key}")


class ProtocolLiveView(LiveView):
    """The shared live view, plus: a person's turn says it waits for them, the progress names
    the protocol, and a finished transcript gets its quotes and credence curve."""

    def __init__(
        self, rounds: int, total_calls: int, status: Any, protocol: str, quotes: QuoteMode
    ) -> None:
        super().__init__(rounds, total_calls, status)
        self.protocol, self.quotes = protocol, quotes
        self.started = time.monotonic()
        self.recorded: dict[str, list[Turn]] = {}
        self.verdicts: dict[str, list[Verdict]] = {}

    def apply(self, event: Any) -> None:
        match event:
            case HumanAsked():
                return
            case TurnCompleted():
                self.recorded.setdefault(event.transcript_id, []).append(event.turn)
            case VerdictReached():
                self.verdicts.setdefault(event.transcript_id, []).append(event.verdict)
            case TranscriptFinished():
                box, start = self.transcripts[event.transcript_id]
                with box:
                    render_extras(
                        start.item,
                        start.assignment,
                        self.recorded.get(event.transcript_id, []),
                        self.verdicts.get(event.transcript_id, []),
                        self.quotes,
                        event.transcript_id,
                    )
                return
        super().apply(event)
        if isinstance(event, TurnStarted) and event.model == HUMAN:
            self.turns[(event.transcript_id, event.index)].body.caption(
                "waiting for your entry (above)…"
            )
            self.progress(f"waiting for you: {role_style(event.role).name}")

    def progress(self, now: str) -> None:
        label = f"Running the {self.protocol}: {self.done} of about {self.total} calls done"
        self.status.update(label=f"{label} · {now}" if now else label)

    def tick(self) -> None:
        """Touch the page while nothing happens: the label shows the time elapsed."""
        seconds = time.monotonic() - self.started
        label = f"Running the {self.protocol}: {self.done} of about {self.total} calls done"
        self.status.update(label=f"{label} · {seconds:.0f} s")


def follow(run: RunHandle, view: ProtocolLiveView) -> list[HumanRequest]:
    """Show the run's events from the start and keep showing them as they come, until the run
    ends (returns []) or a person's turn is waiting (returns the waiting requests). The page
    never shows past the point where a waiting turn was asked, so a person sees no more than
    their seat had seen (a simultaneous opponent's speech stays hidden until they submit)."""
    seen = 0
    while True:
        blocked = False
        for event in run.events(seen):
            if isinstance(event, HumanAsked) and run.desk.is_pending(event.request_id):
                blocked = True
                break
            view.apply(event)
            seen += 1
        view.flush()
        if blocked:
            waiting = run.pending()
            if waiting:
                return waiting
            continue  # answered meanwhile: go on
        if run.finished and not run.events(seen):
            return []
        before = seen
        run.wait(seen, IDLE_TICK_S)
        if not run.events(before) and not run.finished:
            view.tick()
