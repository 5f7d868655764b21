"""The one place where failed model calls are retried (the SDKs' own retries are switched off)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from .base import Completion, GenerateConfig, Message, Model, OnDelta
from .limits import Limiter

OnRetry = Callable[[BaseException, int, float], None]
"""Called before a retry with the error, the attempt that failed (1-based) and the wait in seconds."""


class RetryPolicy(BaseModel):
    """How often and how patiently a failed call is retried."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(4, ge=1, le=20, description="Attempts in all, the first included.")
    initial_wait: float = Field(0.5, ge=0, description="Seconds before the first retry.")
    max_wait: float = Field(30.0, ge=0, description="Cap on any one wait, Retry-After included.")
    jitter: float = Field(0.25, ge=0, le=1, description="Random extra fraction added to each wait.")


def _wait_for(model: Model, policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = model.retry_after(error) if error else None
        if asked is not None:
            return min(max(asked, 0.0), policy.max_wait)
        backoff = policy.initial_wait * 2 ** (state.attempt_number - 1)
        return min(backoff * (1 + policy.jitter * random.random()), policy.max_wait)

    return wait


async def generate_with_retry(
    model: Model,
    messages: Sequence[Message],
    config: GenerateConfig | None = None,
    *,
    on_delta: OnDelta | None = None,
    on_retry: OnRetry | None = None,
    policy: RetryPolicy | None = None,
    limiter: Limiter | None = None,
) -> Completion:
    """Call ``model.generate``, retrying what the model calls retryable, honouring Retry-After.

    A stream that fails mid-way is retried from the start; ``on_retry`` tells the caller to throw
    away the partial text it has shown. Each attempt, retries included, waits for ``limiter``.
    """
    policy = policy or RetryPolicy()
    wait = _wait_for(model, policy)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry and state.outcome is not None:
            error = state.outcome.exception()
            assert error is not None
            on_retry(error, state.attempt_number, state.upcoming_sleep)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception(model.is_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            if limiter is None:
                return await model.generate(messages, config, on_delta=on_delta)
            async with limiter:
                return await model.generate(messages, config, on_delta=on_delta)
    raise AssertionError("unreachable: tenacity re-raises the last error")
