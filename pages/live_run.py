"""A page's run that outlives a script run: the experiment executes on a worker thread with its
own event loop, keeps every event in order, and holds the desk where a person's seats wait.

Streamlit reruns the page script after every form submit and widget change; each rerun finds
the same `LiveRun` in a process-wide registry (by id, kept in the session and the URL) and
replays its events, so a person can answer, a browser can refresh, and the run goes on.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from playground.experiments import Experiment, RunSummary, run_experiment
from playground.providers import Credentials, Model
from playground.providers.human import HumanDesk, HumanModel, HumanRequest
from playground.store import Store

HUMAN_TIMEOUT_S = 3600.0
"""A person's turn left unanswered this long fails, so an abandoned run still finishes."""
KEEP = 32
"""Finished runs kept in a registry (the oldest finished ones are dropped first)."""


@dataclass(frozen=True)
class HumanAsked:
    """In the event log where a person's turn was requested: a page showing the log stops
    here while the request waits, so it never shows more than that seat had seen."""

    request_id: int


class LiveRun:
    """`run_experiment` (streaming) on a thread of its own, its events kept for replay."""

    def __init__(
        self,
        experiment: Experiment,
        store: Store,
        credentials: Credentials,
        human_seats: tuple[str, ...] = (),
        human_timeout: float | None = HUMAN_TIMEOUT_S,
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.experiment = experiment
        self.store = store
        self.credentials = credentials
        self.desk = HumanDesk(on_request=self._asked)
        self.models: dict[str, Model] = {
            seat: HumanModel(self.desk, seat=seat, timeout=human_timeout) for seat in human_seats
        }
        self.run_id: str | None = None
        self.summary: RunSummary | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.end_shown = False
        """Whether a page has shown how the run ended (later reruns read it from the store)."""
        self._stop = False
        self._events: list[Any] = []
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[RunSummary] | None = None
        self._thread = threading.Thread(target=self._main, name=f"live-run-{self.id}", daemon=True)

    @property
    def human_seats(self) -> tuple[str, ...]:
        return tuple(self.models)

    def start(self) -> LiveRun:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop the run as Ctrl-C would: completed turns stay recorded, the run is marked
        ``interrupted``, and a person's pending turn is withdrawn."""
        self._stop = True  # in case the loop has not started yet
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # a closed loop (the run just ended) has nothing left to stop
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def events(self, start: int = 0) -> list[Any]:
        """The events from ``start`` on, in the order they happened."""
        with self._changed:
            return self._events[start:]

    def wait(self, seen: int, timeout: float) -> None:
        """Block until there is an event after the first ``seen``, the run ends, or ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._events) > seen or self.finished, timeout)

    def pending(self) -> list[HumanRequest]:
        return self.desk.pending()

    # -- the worker thread ------------------------------------------------------------------

    def _record(self, event: Any) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def _asked(self, request: HumanRequest) -> None:
        self._record(HumanAsked(request.id))

    def _started(self, run_id: str) -> None:
        self.run_id = run_id

    async def _execute(self) -> RunSummary:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()  # type: ignore[assignment]
        if self._stop:
            raise asyncio.CancelledError
        return await run_experiment(
            self.experiment,
            self.store,
            credentials=self.credentials,
            sink=self._record,
            models=self.models or None,
            source="page",
            on_start=self._started,
            stream=True,  # the library streams only when someone is watching
        )

    def _main(self) -> None:
        try:
            self.summary = asyncio.run(self._execute())
        except BaseException as exc:  # shown on the page: a setting error, a stop, a failure
            self.error = exc
        finally:
            with self._changed:
                self.finished = True
                self._changed.notify_all()


class Registry:
    """Live runs by id, shared by every session of the server process."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._runs: OrderedDict[str, LiveRun] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, run: LiveRun) -> LiveRun:
        with self._lock:
            self._runs[run.id] = run
            finished = [key for key, r in self._runs.items() if r.finished]
            for key in finished[: max(0, len(self._runs) - self.keep)]:
                del self._runs[key]
        return run

    def get(self, run_id: str | None) -> LiveRun | None:
        with self._lock:
            return self._runs.get(run_id) if run_id else None
