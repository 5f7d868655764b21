"""Per-provider limits: how many calls may be in flight and how many may start per minute.

One `Limiter` is shared by every seat that uses the same provider in a run; retries wait their
turn like first attempts, so a rate-limited endpoint is not hammered by its own retries.
"""

from __future__ import annotations

import asyncio
import time
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

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_in_flight) if limits.max_in_flight else None
        self._interval = 60.0 / limits.requests_per_minute if limits.requests_per_minute else 0.0
        self._next_start = 0.0
        self._pacing = asyncio.Lock()

    async def __aenter__(self) -> Limiter:
        if self._slots:
            await self._slots.acquire()
        try:
            if self._interval:
                async with self._pacing:
                    now = time.monotonic()
                    wait = self._next_start - now
                    self._next_start = max(now, self._next_start) + self._interval
                if wait > 0:
                    await asyncio.sleep(wait)
        except BaseException:  # cancelled while pacing: give the slot back
            if self._slots:
                self._slots.release()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._slots:
            self._slots.release()


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
