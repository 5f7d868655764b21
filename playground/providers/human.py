"""A person in a seat: `HumanModel` hands each call's messages to a `HumanDesk` and waits for
what the person types, so a human judge, debater or consultant is recorded like any model
(``model = "human"``, same turn schema; usage and cost unknown).

The protocol runs on a worker thread with its own event loop; whoever serves the person (a
Streamlit page, a terminal) reads `HumanDesk.pending` from another thread and calls
`HumanDesk.answer`. Waiting never blocks the event loop, and a cancelled run stops waiting at
once. The desk is not reachable from a model string: pass the model in, e.g.
``run_experiment(exp, store, models={"judge": HumanModel(desk, seat="judge")})``, with
``model = "human"`` in the role's table so the stored experiment says who sat there.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from .base import Completion, GenerateConfig, Message, Model, OnDelta, ProviderError, Usage

HUMAN = "human"
"""The model string of a person's seat (`playground.protocols.base.HUMAN` is the same)."""

ReplyKind = Literal["judgement", "choice", "approval", "text"]
"""What the messages ask for: a judgement (``Answer: X`` and ``Confidence: N``), a side
(``Answer: X`` alone, open protocols), an approval of an agent's step (``Approval: p`` and
``Rationale: ...``, the approval lab), or free text (a speech, a judge's question)."""

_ASKS_CONFIDENCE = re.compile(r"\bconfidence\s*:", re.IGNORECASE)
_ASKS_APPROVAL = re.compile(r"^approval\s*:", re.IGNORECASE | re.MULTILINE)
_ASKS_CHOICE = re.compile(r"\banswer\s*:\s*A\b[^\n]*\bor\b", re.IGNORECASE)
_SHOWN_ANSWER = re.compile(r"^Answer ([A-Z]): (.+)$", re.MULTILINE)


_EXPECTED: ContextVar[ReplyKind | None] = ContextVar("playground_expected_reply", default=None)


@contextmanager
def expecting(kind: ReplyKind) -> Iterator[None]:
    """Calls made inside the block ask for a ``kind`` reply: the protocol says so (its seat's
    declared reply, or the call's own), so a person gets the matching form."""
    token = _EXPECTED.set(kind)
    try:
        yield
    finally:
        _EXPECTED.reset(token)


def expected_reply(messages: Sequence[Message]) -> ReplyKind:
    """The reply the current call asks for: as declared (`expecting`), or, for a call made
    outside any protocol, as `reply_kind` reads it from the prompt."""
    return _EXPECTED.get() or reply_kind(messages)


def reply_kind(messages: Sequence[Message]) -> ReplyKind:
    """Read the reply format a prompt's text asks for from its last message (the
    instruction): what a call made outside a protocol, which declares nothing, falls back on."""
    last = messages[-1].content if messages else ""
    if _ASKS_CONFIDENCE.search(last):
        return "judgement"
    if _ASKS_APPROVAL.search(last):
        return "approval"
    if _ASKS_CHOICE.search(last):
        return "choice"
    return "text"


def shown_answers(messages: Sequence[Message]) -> dict[str, str]:
    """The answers a prompt shows under their labels (``Answer A: …``), label → text."""
    found: dict[str, str] = {}
    for message in messages:
        for label, text in _SHOWN_ANSWER.findall(message.content):
            found.setdefault(label, text.strip())
    return found


def judgement_reply(label: str, confidence: int) -> str:
    """A person's judgement as the reply the verdict parser reads."""
    return f"Answer: {label}\nConfidence: {confidence}"


def approval_reply(approval: float, rationale: str) -> str:
    """A person's approval of a step as the reply the approval parser reads."""
    return f"Approval: {approval:g}\nRationale: {' '.join(rationale.split())}"


def choice_reply(label: str) -> str:
    """A person's choice of side as the reply an open protocol reads."""
    return f"Answer: {label}"


@dataclass(frozen=True)
class HumanRequest:
    """One call waiting for a person: the seat, exactly the messages a model would get, and
    the kind of reply they ask for."""

    id: int
    seat: str
    messages: tuple[Message, ...]
    kind: ReplyKind
    asked_at: float = field(default_factory=time.time)

    @property
    def answers(self) -> dict[str, str]:
        return shown_answers(self.messages)


@dataclass
class _Waiting:
    request: HumanRequest
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[str]


class HumanDesk:
    """Where calls wait for a person; safe to use from any thread.

    ``on_request`` is called (on the run's thread) each time a request arrives, after it is
    pending, e.g. to wake a page that is waiting for one.
    """

    def __init__(self, on_request: Callable[[HumanRequest], None] | None = None) -> None:
        self.on_request = on_request
        self._lock = threading.Condition()
        self._waiting: dict[int, _Waiting] = {}
        self._ids = itertools.count(1)

    def pending(self) -> list[HumanRequest]:
        """Requests waiting for an answer, oldest first."""
        with self._lock:
            return [w.request for w in sorted(self._waiting.values(), key=lambda w: w.request.id)]

    def is_pending(self, request_id: int) -> bool:
        with self._lock:
            return request_id in self._waiting

    def wait_for_request(self, timeout: float | None = None) -> HumanRequest | None:
        """Block until a request is pending (the oldest is returned) or ``timeout`` passes."""
        with self._lock:
            self._lock.wait_for(lambda: bool(self._waiting), timeout)
            pending = sorted(self._waiting.values(), key=lambda w: w.request.id)
            return pending[0].request if pending else None

    def answer(self, request_id: int, text: str) -> bool:
        """Give the person's reply; False if the request is no longer waiting (answered,
        or its run was stopped)."""
        with self._lock:
            waiting = self._waiting.pop(request_id, None)
        if waiting is None:
            return False

        def settle() -> None:
            if not waiting.future.done():
                waiting.future.set_result(text)

        try:
            waiting.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the run's loop is closed: nobody is waiting any more
            return False
        return True

    async def ask(
        self, seat: str, messages: Sequence[Message], timeout: float | None = None
    ) -> str:
        """Post a request and wait for its answer without blocking the loop; cancelling the
        caller withdraws the request. Raises `TimeoutError` after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        request = HumanRequest(next(self._ids), seat, tuple(messages), expected_reply(messages))
        with self._lock:
            self._waiting[request.id] = _Waiting(request, loop, future)
            self._lock.notify_all()
        try:
            if self.on_request:
                self.on_request(request)
            return await asyncio.wait_for(future, timeout)
        finally:
            with self._lock:
                self._waiting.pop(request.id, None)


class HumanModel(Model):
    """A seat a person fills through ``desk``. Its model string is exactly ``human``; a reply
    has no token counts, no cost and no server model name (all recorded as unknown).

    ``timeout`` (seconds) ends a wait nobody answers with a failed turn, so an abandoned run
    finishes with an ``error`` verdict instead of waiting for ever. A person's reply is never
    answered from, or written to, the response cache.
    """

    provider = HUMAN
    cacheable = False

    def __init__(self, desk: HumanDesk, *, seat: str = "", timeout: float | None = None) -> None:
        super().__init__(HUMAN)
        self.desk = desk
        self.seat = seat
        self.timeout = timeout

    @property
    def model_string(self) -> str:
        return HUMAN

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        try:
            text = await self.desk.ask(self.seat, messages, self.timeout)
        except TimeoutError:
            minutes = (self.timeout or 0) / 60
            raise ProviderError(
                f"no entry from the person in the {self.seat or 'human'} seat "
                f"within {minutes:g} minutes"
            ) from None
        if on_delta:
            on_delta(text)
        return Completion(text=text, usage=Usage(), finish_reason="human")

    def describe(self) -> dict[str, object]:
        return {"model": HUMAN, "provider": HUMAN, "base_url": None}
