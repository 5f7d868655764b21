"""Live progress of a run on stderr: transcripts done, verdicts by status, tokens and cost."""

from __future__ import annotations

import sys
import time
from typing import TextIO

import click

from ..events import (
    BatchProgress,
    Event,
    LimitChanged,
    RunStarted,
    TranscriptFinished,
    TranscriptStarted,
    VerdictReached,
)
from ..experiments.progress import RunProgress
from ..protocols.reading import measurement


class Progress:
    """A sink drawing `RunProgress`. On a terminal, one line redrawn in place (at most ~10 times
    a second); otherwise one line per verdict, so logs of long runs stay readable."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.counts = RunProgress()
        self.items: dict[str, str] = {}
        self._drawn = 0.0

    def __call__(self, event: Event) -> None:
        self.counts(event)
        match event:
            case RunStarted(skipped=skipped, total=total) if skipped:
                self._say(f"resuming: {skipped} transcripts already done, {total} to run")
            case TranscriptStarted():
                suffix = " (swapped)" if event.assignment.swapped else ""
                self.items[event.transcript_id] = event.item.id + suffix
            case VerdictReached(verdict=verdict) if not self.live:
                mark = {True: "correct", False: "wrong", None: verdict.reason or ""}[
                    event.is_correct
                ]
                measured = measurement(verdict.metrics)
                note = measured.text() if measured is not None else ""
                if measured is not None and not measured.with_reason:
                    mark = note
                elif note:
                    mark = f"{note} {mark}".rstrip()
                self._say(f"  {self.items.get(event.transcript_id, '?')}: {verdict.status} {mark}")
            case BatchProgress():
                b = event
                clear = "\r\033[K" if self.live else ""  # over the redrawn line
                self._say(
                    f"{clear}  batch {b.batch_id} ({b.provider}, wave "
                    f"{b.wave}): {b.status}, {b.succeeded}/{b.requests} succeeded, "
                    f"{b.failed} failed | {self.counts.batch_line()}"
                )
            case LimitChanged() if not self.live:
                self._say(
                    f"  limit {event.name}: {event.in_force} of {event.max_in_flight} calls "
                    "in flight"
                )
            case TranscriptFinished() if self.live:
                self._draw(force=self.counts.done == self.counts.total)

    def line(self) -> str:
        p = self.counts
        c = p.counts
        cached = f", {p.cached} cached" if p.cached else ""
        limits = f" | {p.limit_line()}" if p.limits else ""
        return (
            f"[{p.done}/{p.total}] ok {c['ok']} ({p.correct} correct), "
            f"unparseable {c['unparseable']}, error {c['error']} | "
            f"tokens {p.tokens:,}{cached} | ${p.cost_usd:.4f}{limits}"
        )

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._drawn > 0.1:
            self._drawn = now
            self.stream.write("\r\033[K" + self.line() + ("\n" if force else ""))
            self.stream.flush()

    def _say(self, text: str) -> None:
        click.echo(text, file=self.stream)
