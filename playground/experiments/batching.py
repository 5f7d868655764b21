"""Batch runs: every model call of a run goes through its provider's batch engine, wave by wave.

Protocols need no change. Each seat's model is wrapped in a `BatchModel`, whose calls join a
`Collector` instead of going out one by one. The collector knows how many transcripts are
running and how many of them are waiting on a call; when every running transcript waits, the
wave is complete (round 1 of every transcript, then round 2, …) and is sent as one batch per
provider endpoint. Results come back as the calls' completions, recorded as turns as usual with
``meta.batch_id`` and the batch price.

Every batch and request is recorded in the store (`playground.store.batches`) before and after
it is submitted. A request is keyed on its transcript's plan and its body, so a resumed run
(whose unfinished transcripts run again and make the same calls) collects the batches already
submitted instead of paying for them twice. Requests that fail in a way worth retrying
(expired, cancelled, a server error) are sent again, alone, in a new batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..events import BatchProgress, Sink
from ..protocols import Seat, TranscriptContext
from ..providers import Completion, GenerateConfig, Message, ProviderError
from ..providers.batches import BatchEngine, BatchState, ItemError, engine_for
from ..records import plan_key
from ..store import Store
from ..store.batches import BatchLog
from .batch_calls import BatchesPending, BatchModel, BatchStats, check_seats, stopped
from .config import Experiment

log = logging.getLogger("playground.batch")

RETRIES = 2
"""Times a request that failed retryably (expired, cancelled, 5xx) is sent again."""
MAX_REQUESTS = 10_000
"""Requests per batch (OpenAI allows 50,000, Anthropic 100,000; smaller batches end sooner)."""
POLL_FAILURES = 5
"""Consecutive failed status polls after which the run stops (resumable)."""


@dataclass(eq=False)
class _Transcript:
    """Who is making calls: one running transcript (``live``) and its calls in flight."""

    plan: str
    live: bool = True
    pending: int = 0
    seen: Counter[str] = field(default_factory=Counter)


@dataclass(eq=False)
class _Call:
    engine: BatchEngine
    body: dict[str, Any]
    key: str
    owner: _Transcript
    future: asyncio.Future[Completion]
    attempts: int = 0


_current: ContextVar[_Transcript | None] = ContextVar("playground_batch_transcript", default=None)


class Collector:
    """Gathers the calls of a run's transcripts into waves and runs each wave as batches."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        sink: Sink,
        *,
        poll_s: float = 30.0,
        deadline_s: float = 26 * 3600.0,
    ) -> None:
        self.log = BatchLog(store)
        self.run_id = run_id
        self.sink = sink
        self.poll_s = poll_s
        self.deadline_s = deadline_s
        self.stats = BatchStats()
        self.live = 0
        self.waiting = 0
        """Running transcripts with at least one call waiting for a batch."""
        self._queue: list[_Call] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def wrap(self, seats: dict[str, Seat]) -> dict[str, Seat]:
        """The seats with each model answering through its batch engine (no per-call limiter:
        one batch is one request)."""
        wrapped = {}
        for role, seat in seats.items():
            model = BatchModel(seat.model, engine_for(seat.model, role), self)
            # every other field of the seat (votes, …) stays as it was
            wrapped[role] = dataclasses.replace(seat, model=model, limiter=None)
        return wrapped

    @contextlib.asynccontextmanager
    async def transcript(self, ctx: TranscriptContext) -> AsyncIterator[None]:
        """Count ``ctx`` as running while it is inside this block."""
        owner = _Transcript(json.dumps(plan_key(ctx.item.id, ctx.assignment), default=str))
        token = _current.set(owner)
        self.live += 1
        try:
            yield
        finally:
            _current.reset(token)
            owner.live = False
            self.live -= 1
            if owner.pending:
                self.waiting -= 1
            self._check()

    async def call(
        self, engine: BatchEngine, messages: list[Message], config: GenerateConfig
    ) -> Completion:
        """Queue one call for the next wave and wait for its result."""
        owner = _current.get() or _Transcript("", live=False)
        body = engine.body(messages, config)
        digest = hashlib.sha256(
            json.dumps([engine.provider, owner.plan, body], sort_keys=True).encode()
        ).hexdigest()
        owner.seen[digest] += 1  # the same call twice in a transcript: two requests
        key = f"{digest}:{owner.seen[digest]}"
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        call = _Call(engine, body, key, owner, future)
        self._queue.append(call)
        self.stats.calls += 1
        owner.pending += 1
        if owner.pending == 1 and owner.live:
            self.waiting += 1
        self._check()
        try:
            return await future
        finally:
            if not future.done():  # the transcript was cancelled
                self._settled(call)

    def _settled(self, call: _Call) -> None:
        owner = call.owner
        owner.pending -= 1
        if owner.pending == 0 and owner.live:
            self.waiting -= 1

    def _resolve(self, call: _Call, result: Completion | BaseException) -> None:
        if call.future.done():
            return
        self._settled(call)
        if isinstance(result, BaseException):
            call.future.set_exception(result)
        else:
            call.future.set_result(result)

    def _check(self) -> None:
        if self._queue and self._flusher is None and self.waiting >= self.live:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        # calls started together (a debate round's two speeches) join the same wave
        for _ in range(3):
            await asyncio.sleep(0)
        self._flusher = None
        if not (self._queue and self.waiting >= self.live):
            return
        calls, self._queue = self._queue, []
        self.stats.waves += 1
        task = asyncio.get_running_loop().create_task(self._wave(self.stats.waves, calls))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop polling (the run ended or was cancelled); submitted batches stay recorded."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _wave(self, wave: int, calls: list[_Call]) -> None:
        groups: dict[tuple[str, str], list[_Call]] = {}
        for call in calls:
            groups.setdefault(call.engine.key, []).append(call)
        jobs = [
            self._group(wave, group[start : start + MAX_REQUESTS])
            for group in groups.values()
            for start in range(0, len(group), MAX_REQUESTS)
        ]
        try:
            await asyncio.gather(*jobs)
        except BatchesPending as pending:
            for call in calls:
                self._resolve(call, BatchesPending(str(pending)))
        except Exception as error:  # a store write failing for good, a bug: fail loudly
            for call in calls:
                self._resolve(call, error)

    async def _group(self, wave: int, calls: list[_Call]) -> None:
        """Send ``calls`` (one endpoint) and collect them; retry the retryable failures."""
        engine = calls[0].engine
        while calls:
            placed = self.log.placed(self.run_id, [c.key for c in calls])
            earlier: dict[str, tuple[str, list[tuple[str, _Call]]]] = {}
            delivered: set[str] = set()
            fresh = []
            for call in calls:
                where = placed.get(call.key)
                if where is None:
                    fresh.append(call)
                else:
                    entry = earlier.setdefault(where.remote_id, (where.batch_id, []))
                    entry[1].append((where.custom_id, call))
                    if where.state == "ok":
                        delivered.add(where.custom_id)
            fresh = await self._recover(engine, fresh, earlier)
            jobs = [
                self._collect(engine, wave, local, remote, pairs, delivered)
                for remote, (local, pairs) in earlier.items()
            ]
            self.stats.resumed += len(earlier)
            if fresh:
                jobs.append(self._submit(engine, wave, fresh))
            failed = [call for retry in await asyncio.gather(*jobs) for call in retry]
            for call in failed:
                call.attempts += 1
            self.stats.retried += len(failed)
            calls = failed

    async def _recover(
        self,
        engine: BatchEngine,
        calls: list[_Call],
        earlier: dict[str, tuple[str, list[tuple[str, _Call]]]],
    ) -> list[_Call]:
        """Find batches a killed process submitted but never recorded as accepted (OpenAI
        batches carry our id in their metadata) and collect them; the calls still to send."""
        unsent = self.log.unsent(self.run_id, [c.key for c in calls])
        if not unsent:
            return calls
        by_local: dict[str, list[tuple[str, _Call]]] = {}
        for call in calls:
            if call.key in unsent:
                local, cid = unsent[call.key]
                by_local.setdefault(local, []).append((cid, call))
        recovered: set[int] = set()
        for local, pairs in by_local.items():
            remote = await engine.find(local)
            if remote is None:
                self.log.forget(local)  # never reached the provider: sent afresh
                continue
            self.log.submitted(local, remote)
            earlier.setdefault(remote, (local, []))[1].extend(pairs)
            recovered.update(id(call) for _, call in pairs)
        return [call for call in calls if id(call) not in recovered]

    async def _submit(self, engine: BatchEngine, wave: int, calls: list[_Call]) -> list[_Call]:
        pairs = [(f"r{i}", call) for i, call in enumerate(calls)]
        local = self.log.begin(
            self.run_id, engine.provider, wave, [(cid, call.key) for cid, call in pairs]
        )
        try:
            remote = await engine.submit([(cid, call.body) for cid, call in pairs], local)
        except Exception as error:  # refused or unreachable: these calls fail, the run goes on
            self.log.settle(local, {cid: "failed" for cid, _ in pairs})
            self.log.update(local, "refused", 0, len(pairs))
            message = f"{engine.model.model_string}: the batch was not accepted: {error}"
            for _, call in pairs:
                self._resolve(call, ProviderError(" ".join(message.split())[:500]))
            return []
        self.log.submitted(local, remote)
        self.stats.batches += 1
        return await self._collect(engine, wave, local, remote, pairs)

    async def _collect(
        self,
        engine: BatchEngine,
        wave: int,
        local: str,
        remote: str,
        pairs: list[tuple[str, _Call]],
        delivered: frozenset[str] | set[str] = frozenset(),
    ) -> list[_Call]:
        """Poll one batch until it ends, then hand out its results; the calls to retry.

        A result in ``delivered`` was handed out before a kill, and its (abandoned) turn holds
        its cost already: handed out again it costs nothing, with ``meta.batch_reused``."""
        await self._poll(engine, wave, local, remote, len(pairs))
        outcomes, missing = await engine.results(remote)
        states: dict[str, str] = {}
        retry: list[_Call] = []
        for cid, call in pairs:
            outcome = outcomes.get(cid, missing)
            if isinstance(outcome, Completion):
                outcome.meta = {**outcome.meta, "batch_id": remote}
                if cid in delivered:
                    outcome.usage.cost_usd = 0.0 if outcome.usage.cost_usd is not None else None
                    outcome.meta["batch_reused"] = True
                states[cid] = "ok"
                self._resolve(call, outcome)
            elif isinstance(outcome, ItemError) and outcome.retryable and call.attempts < RETRIES:
                states[cid] = "retried"
                retry.append(call)
            else:
                states[cid] = "failed"
                text = f"{engine.model.model_string}: batch {remote}: {outcome.message}"
                self._resolve(call, ProviderError(" ".join(text.split())[:500]))
        # let the transcripts record the turns first: a kill now finds these still pending
        for _ in range(2):
            await asyncio.sleep(0)
        self.log.settle(local, states)
        ok = sum(1 for s in states.values() if s == "ok")
        self.log.update(local, "collected", ok, len(states) - ok)
        self._emit(engine, wave, remote, "collected", len(pairs), ok, len(states) - ok)
        return retry

    async def _poll(
        self, engine: BatchEngine, wave: int, local: str, remote: str, requests: int
    ) -> BatchState:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_s
        failures = 0
        last = ""
        while True:
            try:
                state = await engine.state(remote)
                failures = 0
            except Exception as error:
                failures += 1
                log.warning("batch %s: status not read (%s)", remote, error)
                if failures >= POLL_FAILURES:
                    raise BatchesPending(
                        f"batch {remote} could not be polled ({failures} tries): {error}"
                    ) from None
            else:
                if state.status != last:
                    last = state.status
                    self.log.update(local, state.status, state.succeeded, state.failed)
                    self._emit(
                        engine, wave, remote, state.status, requests, state.succeeded, state.failed
                    )
                if state.ended:
                    return state
            if loop.time() > deadline:
                raise BatchesPending(
                    f"batch {remote} had not ended after {self.deadline_s:g} s (batch_deadline_s)"
                )
            await asyncio.sleep(self.poll_s)

    def _emit(
        self,
        engine: BatchEngine,
        wave: int,
        remote: str,
        status: str,
        requests: int,
        succeeded: int,
        failed: int,
    ) -> None:
        self.sink(
            BatchProgress(
                self.run_id, remote, engine.provider, wave, status, requests, succeeded, failed
            )
        )


def collector_for(
    experiment: Experiment, store: Store, run_id: str, sink: Sink
) -> Collector | None:
    """The run's collector when it is a batch run (``batch = true`` / ``--batch``)."""
    if not experiment.batch:
        return None
    return Collector(
        store,
        run_id,
        sink,
        poll_s=experiment.batch_poll_s,
        deadline_s=experiment.batch_deadline_s,
    )


def transcript_scope(
    collector: Collector | None, ctx: TranscriptContext
) -> contextlib.AbstractAsyncContextManager[None]:
    """`Collector.transcript` in a batch run, else nothing."""
    return collector.transcript(ctx) if collector else contextlib.nullcontext()


__all__ = [
    "BatchModel",
    "BatchStats",
    "BatchesPending",
    "Collector",
    "check_seats",
    "collector_for",
    "stopped",
    "transcript_scope",
]
