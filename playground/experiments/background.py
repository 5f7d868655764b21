"""Runs in the background: an experiment executed on its own thread and event loop, with live
counts anyone can read while it goes (the page polls them; the CLI draws them)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from ..events import Event, RunStarted, TranscriptFinished, TurnCompleted, VerdictReached
from ..providers import Credentials
from ..store import Store
from .config import Experiment
from .runner import RunSummary, run_experiment


@dataclass
class RunProgress:
    """Counts of a run so far; a `Sink`. Reads are safe from any thread (plain numbers)."""

    total: int = 0
    """Transcripts this execution runs (after a resume: those left)."""
    skipped: int = 0
    """Transcripts already complete when a run was resumed."""
    done: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"ok": 0, "unparseable": 0, "error": 0})
    correct: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    cached: int = 0

    def __call__(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.total, self.skipped = event.total, event.skipped
            case TurnCompleted(turn=turn):
                self.tokens += (turn.input_tokens or 0) + (turn.output_tokens or 0)
                self.cost_usd += turn.cost_usd or 0.0
                self.cached += turn.cached
            case VerdictReached():
                self.counts[event.verdict.status] += 1
                self.correct += bool(event.is_correct)
            case TranscriptFinished():
                self.done += 1

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class BackgroundRun:
    """`run_experiment` on a thread of its own. ``run_id`` is known shortly after `start`;
    `cancel` stops it as Ctrl-C would (the run is marked ``interrupted``, all completed
    transcripts kept, resumable)."""

    def __init__(
        self,
        experiment: Experiment | None,
        store: Store,
        *,
        credentials: Credentials | None = None,
        resume: str | None = None,
        source: str = "page",
    ) -> None:
        self.experiment = experiment
        self.store = store
        self.credentials = credentials or Credentials()
        self.resume = resume
        self.source = source
        self.progress = RunProgress()
        self.run_id: str | None = None
        self.status = "starting"
        """starting, running, done, interrupted or failed."""
        self.error: str | None = None
        self.summary: RunSummary | None = None
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[RunSummary] | None = None
        self._thread = threading.Thread(target=self._main, name="playground-run", daemon=True)

    def start(self, timeout: float = 30.0) -> str | None:
        """Start, and wait until the run is recorded (or has failed to start); its id."""
        self._thread.start()
        self._started.wait(timeout)
        return self.run_id

    def cancel(self) -> None:
        if self._loop and self._task:
            self._loop.call_soon_threadsafe(self._task.cancel)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "interrupted", "failed")

    def _on_start(self, run_id: str) -> None:
        self.run_id = run_id
        self.status = "running"
        self._started.set()

    async def _execute(self) -> RunSummary:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()  # type: ignore[assignment]
        return await run_experiment(
            self.experiment,
            self.store,
            credentials=self.credentials,
            sink=self.progress,
            source=self.source,
            on_start=self._on_start,
            resume=self.resume,
        )

    def _main(self) -> None:
        try:
            self.summary = asyncio.run(self._execute())
            self.status = self.summary.info.status
        except asyncio.CancelledError:
            self.status = "interrupted"
        except Exception as exc:  # a setting error before the run began, or a store failure
            self.status = "failed"
            self.error = " ".join(str(exc).split()) or type(exc).__name__
        finally:
            self._started.set()
