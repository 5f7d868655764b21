"""Per-provider limits: how many calls may be in flight and how many may start per minute.

One `Limiter` is shared by every seat that uses the same provider in a run; retries wait their
turn like first attempts, so a rate-limited endpoint is not hammered by its own retries.

The calls-in-flight limit adapts (additive increase, multiplicative decrease): it starts at the
configured ``max_in_flight``, halves (at most once a second, never below 1) when an attempt is
refused with HTTP 429 or a response says ``x-ratelimit-remaining-requests`` / ``-tokens`` is 0,
holds every new start back for the ``retry-after`` the server asked for, and grows by one after
each run of successful calls as long as the limit in force, up to the configured one again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """The ``[limits.<provider>]`` table of an experiment file."""

    model_config = ConfigDict(extra="forbid")

    max_in_flight: int | None = Field(None, ge=1, description="Calls running at once.")
    requests_per_minute: float | None = Field(
        None, gt=0, description="Call starts per minute, spaced evenly."
    )


class Limiter(AbstractAsyncContextManager["Limiter"]):
    """``async with limiter:`` around one call attempt."""

    def __init__(self, limits: Limits, name: str = "") -> None:
        self.limits = limits
        self.name = name
        """What the limit is for (``openai``, a model string, ``max_calls``), for the record."""
        self.in_force: int | None = limits.max_in_flight
        """Calls that may be in flight now: the configured limit, lowered while rate-limited."""
        self.lowest: int | None = limits.max_in_flight
        """The lowest limit in force so far, to record with the run."""
        self.rate_limited = 0
        """Attempts refused for the rate (HTTP 429) or answered with nothing remaining."""
        self.on_change: Callable[[Limiter], None] | None = None
        """Called (on the event loop) each time ``in_force`` changes."""
        self._in_flight = 0
        self._ok_streak = 0
        self._lowered_at = -1e9
        self._paused_until = 0.0
        self._free = asyncio.Condition()
        self._interval = 60.0 / limits.requests_per_minute if limits.requests_per_minute else 0.0
        self._next_start = 0.0
        self._pacing = asyncio.Lock()

    async def __aenter__(self) -> Limiter:
        while (pause := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(pause)  # the server asked for a pause (retry-after)
        if self.in_force is not None:
            async with self._free:
                await self._free.wait_for(lambda: self._in_flight < (self.in_force or 1))
                self._in_flight += 1
        try:
            if self._interval:
                async with self._pacing:
                    now = time.monotonic()
                    wait = self._next_start - now
                    self._next_start = max(now, self._next_start) + self._interval
                if wait > 0:
                    await asyncio.sleep(wait)
        except BaseException:  # cancelled while pacing: give the slot back
            await self._release(None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._release(exc, done=True)

    async def _release(self, error: BaseException | None, done: bool = False) -> None:
        if self.in_force is None:
            return
        async with self._free:
            self._in_flight -= 1
            if done:
                self._adapt(error)
            self._free.notify_all()

    def _adapt(self, error: BaseException | None) -> None:
        before = self.in_force
        self._step(error)
        if self.in_force != before and self.on_change is not None:
            self.on_change(self)

    def _step(self, error: BaseException | None) -> None:
        ceiling = self.limits.max_in_flight or 1
        now = time.monotonic()
        if error is not None and rate_limited(error):
            self.rate_limited += 1
            self._ok_streak = 0
            if now - self._lowered_at >= 1.0:
                self.in_force = max(1, (self.in_force or ceiling) // 2)
                self.lowest = min(self.lowest or ceiling, self.in_force)
                self._lowered_at = now
            asked = retry_after_s(error)
            if asked:
                self._paused_until = max(self._paused_until, now + min(asked, 60.0))
        elif error is None and (self.in_force or ceiling) < ceiling:
            self._ok_streak += 1
            if self._ok_streak >= (self.in_force or 1):
                self.in_force = (self.in_force or 1) + 1
                self._ok_streak = 0

    def record(self) -> dict[str, int | None]:
        """The limit as configured, the lowest in force and the one in force now, and how many
        attempts were rate-limited: what a run records of it."""
        return {
            "max_in_flight": self.limits.max_in_flight,
            "lowest": self.lowest,
            "in_force": self.in_force,
            "rate_limited": self.rate_limited,
        }


def in_use(limiters: Iterable[Limiter | None]) -> dict[str, Limiter]:
    """The distinct calls-in-flight limiters among ``limiters`` (a `Limiters` counts as its
    parts), by name."""
    found: dict[str, Limiter] = {}
    for limiter in limiters:
        parts = limiter.limiters if isinstance(limiter, Limiters) else (limiter,)
        for part in parts:
            if part is not None and part.limits.max_in_flight:
                found.setdefault(part.name or f"limit {len(found) + 1}", part)
    return found


def rate_limited(error: BaseException) -> bool:
    """Whether a failed attempt says the endpoint is rate-limiting us: HTTP 429, or a
    ``x-ratelimit-remaining-requests`` / ``-tokens`` header of 0."""
    response = getattr(error, "response", None)
    status = getattr(error, "status_code", None) or getattr(response, "status_code", None)
    if status == 429:
        return True
    headers = getattr(response, "headers", None) or {}
    return any(
        str(headers.get(f"x-ratelimit-remaining-{what}", "")).strip() == "0"
        for what in ("requests", "tokens")
    )


def retry_after_s(error: BaseException) -> float | None:
    """The pause a rate-limited response asked for (``retry-after-ms``, ``retry-after``)."""
    from .remote import retry_after  # the one parser of these headers

    return retry_after(error)


class Limiters(Limiter):
    """Several limiters around one call attempt (a provider's, then the run-wide calls limit),
    entered in order and left in reverse."""

    def __init__(self, *limiters: Limiter) -> None:  # no slots of its own: theirs
        self.limiters = limiters

    async def __aenter__(self) -> Limiters:
        entered: list[Limiter] = []
        try:
            for limiter in self.limiters:
                await limiter.__aenter__()
                entered.append(limiter)
        except BaseException:
            for limiter in reversed(entered):
                await limiter.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for limiter in reversed(self.limiters):
            await limiter.__aexit__(exc_type, exc, tb)
