"""One handle for every run, whoever starts it (the CLI, a page, a library caller) and whatever it
runs (an experiment, a fork, an A/B pair, a tree edit): the work executes on a thread of its own
with its own event loop, its events are counted and kept in order for anyone to replay, it can
be cancelled from any thread, and a person's seats wait at its desk.

A page script is re-run after every click and loses its session on a refresh, so a page keeps
its handles in a `RunRegistry` shared by the server's sessions and replays the events; every
turn is already in the store as it arrives. SDK clients are made inside the run's own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from ..datasets import DatasetError
from ..events import Event
from ..prompts import PromptError
from ..providers import Model, ProviderError
from ..providers.human import HumanDesk, HumanModel, HumanRequest
from ..store import Store
from .config import Experiment, ExperimentError
from .options import RunOptions, run_options
from .progress import RunProgress
from .runner import RunSummary, run_experiment

SETUP_ERRORS = (ExperimentError, DatasetError, PromptError, ProviderError)
"""What a bad experiment, dataset, prompt or provider setting raises before a run starts; each
message is one line, shown as it is (CLI and pages)."""
HUMAN_TIMEOUT_S = 3600.0
"""A person's turn left unanswered this long fails, so an abandoned run still finishes."""
KEEP = 32
"""Finished runs kept in a `RunRegistry` (the oldest finished ones are dropped first)."""

Status = Literal["starting", "running", "done", "interrupted", "failed", "budget"]
"""``starting`` until the run is recorded; ``interrupted`` after `RunHandle.cancel` (what
completed stays recorded, resumable); ``failed`` when the work raised (`RunHandle.error`);
``budget`` when a budget stopped it (resumable with a higher one)."""
ENDED: tuple[Status, ...] = ("done", "interrupted", "failed", "budget")

T = TypeVar("T")


@dataclass(frozen=True)
class HumanAsked:
    """In the event log where a person's turn was requested: a page showing the log stops
    here while the request waits, so it never shows more than that seat had seen."""

    request_id: int


def one_line(exc: BaseException) -> str:
    """An error as one line: a setting error as it is, anything else with its type's name."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message if isinstance(exc, SETUP_ERRORS) else f"{type(exc).__name__}: {message}"


class RunHandle(Generic[T]):
    """``work(options)`` on a thread of its own, e.g. ``lambda o: fork(store, tid, o)``; use
    `RunHandle.for_experiment` to run an experiment. The options ``work`` gets are ``options``
    (or its fields as keywords) with the handle's own sink (counts, log, then your sink),
    ``on_start`` (the run id, then yours) and a `HumanModel` at the desk for each seat in
    ``humans``. ``keep_events=False`` keeps counts only (a long batch nobody replays).
    """

    def __init__(
        self,
        work: Callable[[RunOptions], Awaitable[T]],
        options: RunOptions | None = None,
        *,
        humans: Sequence[str] = (),
        human_timeout: float | None = HUMAN_TIMEOUT_S,
        keep_events: bool = True,
        experiment: Experiment | None = None,
        **fields: Any,
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        """The handle's own id (a registry's key): known before the run is recorded."""
        self.options = run_options(options, **fields)
        self.experiment = experiment
        """What runs, when it is an experiment given up front (None for a resume or a fork)."""
        self.desk = HumanDesk(on_request=self._asked)
        self.human_seats = tuple(humans)
        self.human_timeout = human_timeout
        self.progress = RunProgress()
        self.run_id: str | None = None
        """The stored run's id, once it is recorded (an A/B pair: the latest arm's)."""
        self.status: Status = "starting"
        self.error: str | None = None
        """Why the run failed, in one line with every known key redacted."""
        self.exception: BaseException | None = None
        self.result: T | None = None
        self.end_shown = False
        """Whether a page has shown how the run ended (later reruns read it from the store)."""
        self._work = work
        self._keep = keep_events
        self._events: list[Any] = []
        self._changed = threading.Condition()
        self._recorded = threading.Event()
        self._finished = False
        self._stop = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[T] | None = None
        self._thread = threading.Thread(target=self._main, name=f"run-{self.id}", daemon=True)

    @classmethod
    def for_experiment(
        cls,
        experiment: Experiment | None,
        store: Store,
        options: RunOptions | None = None,
        *,
        resume: str | None = None,
        concurrency: int | None = None,
        cache: bool | None = None,
        budget: Mapping[str, float | None] | None = None,
        humans: Sequence[str] = (),
        human_timeout: float | None = HUMAN_TIMEOUT_S,
        keep_events: bool = True,
        **fields: Any,
    ) -> RunHandle[RunSummary]:
        """A handle on `run_experiment` (``experiment``, or the stored run ``resume``)."""

        def work(opts: RunOptions) -> Awaitable[RunSummary]:
            return run_experiment(
                experiment, store, opts, resume=resume, concurrency=concurrency, cache=cache,
                budget=budget,
            )  # fmt: skip

        return RunHandle(
            work, options, humans=humans, human_timeout=human_timeout,
            keep_events=keep_events, experiment=experiment, **fields,
        )  # fmt: skip

    # -- from any thread --------------------------------------------------------------------

    def start(self, timeout: float | None = 30.0) -> str | None:
        """Start, and wait until the run is recorded or has ended (at most ``timeout``
        seconds); the run's id, or None when it failed before it was recorded."""
        self._thread.start()
        self._recorded.wait(timeout)
        return self.run_id

    def cancel(self) -> None:
        """Stop the run as Ctrl-C would: completed turns stay recorded, the run is marked
        ``interrupted``, and a person's pending turn is withdrawn."""
        self._stop = True  # in case the loop has not started yet
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nothing left to stop
                loop.call_soon_threadsafe(task.cancel)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run to end (at most ``timeout`` seconds); whether it has. Safe to call
        again after Ctrl-C interrupted it (`threading.Thread.join` is not)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._finished, timeout)

    def outcome(self, timeout: float | None = None) -> T:
        """Wait for the run and return what the work returned; raise what it raised
        (`asyncio.CancelledError` after a cancel, `TimeoutError` if still running)."""
        if not self.join(timeout):
            raise TimeoutError(f"run {self.run_id or self.id} is still going")
        if self.exception is not None:
            raise self.exception
        if self.status == "interrupted":
            raise asyncio.CancelledError
        return self.result  # type: ignore[return-value]

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def summary(self) -> RunSummary | None:
        """The result, when the work returns a `RunSummary` (an experiment, a fork)."""
        return self.result if isinstance(self.result, RunSummary) else None

    def events(self, start: int = 0) -> list[Any]:
        """The events from ``start`` on, in the order they happened (with `HumanAsked` where
        a person's turn was requested); empty with ``keep_events=False``."""
        with self._changed:
            return self._events[start:]

    def wait(self, seen: int, timeout: float) -> None:
        """Block until there is an event after the first ``seen``, the run ends, or ``timeout``."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._events) > seen or self._finished, timeout)

    def pending(self) -> list[HumanRequest]:
        """A person's turns waiting for an entry, oldest first."""
        return self.desk.pending()

    def answer(self, request_id: int, text: str) -> bool:
        """Give a person's entry to a waiting turn; False if it no longer waits."""
        return self.desk.answer(request_id, text)

    # -- on the run's thread ----------------------------------------------------------------

    def _log(self, event: Any) -> None:
        if not self._keep:
            return
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def _sink(self, event: Event) -> None:
        self.progress(event)
        self._log(event)
        if self.options.sink is not None:
            self.options.sink(event)

    def _asked(self, request: HumanRequest) -> None:
        self._log(HumanAsked(request.id))

    def _on_start(self, run_id: str) -> None:
        self.run_id = run_id
        self.status = "running"
        self._recorded.set()
        if self.options.on_start is not None:
            self.options.on_start(run_id)

    def _run_options(self) -> RunOptions:
        people: dict[str, Model] = {
            seat: HumanModel(self.desk, seat=seat, timeout=self.human_timeout)
            for seat in self.human_seats
        }
        models = {**self.options.models, **people}
        return self.options.merged(sink=self._sink, on_start=self._on_start, models=models)

    async def _execute(self) -> T:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()  # type: ignore[assignment]
        if self._stop:
            raise asyncio.CancelledError
        return await self._work(self._run_options())

    def _main(self) -> None:
        status: Status = "done"
        try:
            self.result = asyncio.run(self._execute())
            if self.summary is not None and self.summary.info.status in ENDED:
                status = self.summary.info.status  # type: ignore[assignment]
        except asyncio.CancelledError:
            status = "interrupted"
        except BaseException as exc:  # a setting error, a store failure, a bug: shown, kept
            self.exception = exc
            self.error = self.options.credentials.redact(one_line(exc))
            status = "failed"
        finally:
            with self._changed:
                self.status = status
                self._finished = True
                self._changed.notify_all()
            self._recorded.set()


class RunRegistry:
    """Handles by id, shared by every session of a server process (a page keeps one in
    ``st.cache_resource``): a rerun, or a refresh with the id in the URL, finds its run."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._runs: OrderedDict[str, RunHandle[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, run: RunHandle[T]) -> RunHandle[T]:
        with self._lock:
            self._runs[run.id] = run
            finished = [key for key, r in self._runs.items() if r.finished]
            for key in finished[: max(0, len(self._runs) - self.keep)]:
                del self._runs[key]
        return run

    def get(self, handle_id: str | None) -> RunHandle[Any] | None:
        with self._lock:
            return self._runs.get(handle_id) if handle_id else None
