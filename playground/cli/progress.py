"""Live progress of a run on stderr: transcripts done, verdicts by status, tokens and cost."""

from __future__ import annotations

import sys
import time

import click

from ..events import (
    Event,
    RunStarted,
    TranscriptFinished,
    TranscriptStarted,
    TurnCompleted,
    VerdictReached,
)


class Progress:
    """A sink. On a terminal, one line redrawn in place (at most ~10 times a second); otherwise
    one line per verdict, so logs of long runs stay readable."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.total = 0
        self.skipped = 0
        self.done = 0
        self.counts = {"ok": 0, "unparseable": 0, "error": 0}
        self.correct = 0
        self.tokens = 0
        self.cost = 0.0
        self.cached = 0
        self.items: dict[str, str] = {}
        self._drawn = 0.0

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.total, self.skipped = event.total, event.skipped
                if self.skipped:
                    self._say(
                        f"resuming: {self.skipped} transcripts already done, {self.total} to run"
                    )
            case TranscriptStarted():
                suffix = " (swapped)" if event.assignment.swapped else ""
                self.items[event.transcript_id] = event.item.id + suffix
            case TurnCompleted(turn=turn):
                self.tokens += (turn.input_tokens or 0) + (turn.output_tokens or 0)
                self.cost += turn.cost_usd or 0.0
                self.cached += turn.cached
            case VerdictReached(verdict=verdict):
                self.counts[verdict.status] += 1
                self.correct += bool(event.is_correct)
                if not self.live:
                    mark = {True: "correct", False: "wrong", None: verdict.reason or ""}[
                        event.is_correct
                    ]
                    self._say(
                        f"  {self.items.get(event.transcript_id, '?')}: {verdict.status} {mark}"
                    )
            case TranscriptFinished():
                self.done += 1
                if self.live:
                    self._draw(force=self.done == self.total)

    def line(self) -> str:
        c = self.counts
        cached = f", {self.cached} cached" if self.cached else ""
        return (
            f"[{self.done}/{self.total}] ok {c['ok']} ({self.correct} correct), "
            f"unparseable {c['unparseable']}, error {c['error']} | "
            f"tokens {self.tokens:,}{cached} | ${self.cost:.4f}"
        )

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._drawn > 0.1:
            self._drawn = now
            self.stream.write("\r\033[K" + self.line() + ("\n" if force else ""))
            self.stream.flush()

    def _say(self, text: str) -> None:
        click.echo(text, file=self.stream)
