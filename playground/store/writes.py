"""Writes that survive a briefly locked or failing database: each is retried (bounded) while the
error is one that passes (SQLite's "database is locked", a dropped PostgreSQL connection), and
a store that stays unwritable raises `StoreUnavailable`, which stops the run instead of turning
good completions into error verdicts."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from tenacity import RetryCallState

log = logging.getLogger("playground.store")
T = TypeVar("T")


class WritePolicy(BaseModel):
    """How long the store waits out a database it cannot write."""

    busy_timeout_s: float = Field(30.0, gt=0, description="SQLite waits this long for a lock.")
    give_up_after_s: float = Field(
        60.0, ge=0, description="Retry a failing write for this long, then stop the run."
    )
    first_wait_s: float = Field(0.2, gt=0, description="Pause before the first retry.")
    max_wait_s: float = Field(5.0, gt=0, description="Longest pause between retries.")

    @classmethod
    def from_env(cls) -> WritePolicy:
        """The default, or ``PLAYGROUND_DB_WAIT_S`` seconds in all (SQLite's busy timeout
        then at most that too): how long the CLI and the pages wait out a busy store."""
        raw = os.environ.get("PLAYGROUND_DB_WAIT_S", "").strip()
        if not raw:
            return cls()
        try:
            wait = float(raw)
        except ValueError:
            raise ValueError(f"PLAYGROUND_DB_WAIT_S={raw!r}: give a number of seconds") from None
        default = cls.model_fields["busy_timeout_s"].default
        return cls(busy_timeout_s=min(default, max(wait, 0.01)), give_up_after_s=max(wait, 0))


class StoreUnavailable(BaseException):
    """The log could not be written for the whole `WritePolicy.give_up_after_s`.

    A `BaseException`, like `asyncio.CancelledError`, on purpose: protocol code catches
    ``Exception`` to record a failed model call as an error verdict, and a write the store could
    not take is no model's fault, so it must pass through those handlers and stop the run
    (which is then ``failed`` and resumable). The message is one line."""


def transient(error: BaseException) -> bool:
    """An error that may pass if the write is tried again: the database is locked or busy, the
    connection dropped. A constraint violation or a bad statement is not."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)


def describe(error: BaseException | None) -> str:
    """One line naming the database's own complaint (never the row: engines hide parameters)."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split()) or type(original).__name__
    return f"{type(original).__name__}: {text}"[:300]


def retrying(policy: WritePolicy, what: str, where: str, write: Callable[[], T]) -> T:
    """Run ``write``, retrying transient errors under ``policy``; `StoreUnavailable` if it
    still fails. ``what`` and ``where`` name the write and the store in the log lines."""
    # imported here: tenacity costs a fifth of a second at start, and `playground runs` or a
    # page that only reads never writes
    from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

    def warn(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("store write (%s) failed, retrying in %.1fs: %s", what, wait, describe(error))

    retryer = Retrying(
        retry=retry_if_exception(transient),
        stop=stop_after_delay(policy.give_up_after_s),
        wait=wait_exponential(multiplier=policy.first_wait_s, max=policy.max_wait_s),
        before_sleep=warn,
        reraise=True,
    )
    try:
        return retryer(write)
    except sa.exc.DBAPIError as error:
        if not transient(error):
            raise
        message = (
            f"the store {where} could not be written ({what}) for "
            f"{policy.give_up_after_s:g}s: {describe(error)}"
        )
        log.error("store write (%s) failed for good: %s", what, describe(error))
        raise StoreUnavailable(message) from error


def unwritable(error: BaseException) -> StoreUnavailable | None:
    """The `StoreUnavailable` that stopped a run, found in the (nested) exception groups its
    task groups raised; None when the run stopped for another reason."""
    if isinstance(error, StoreUnavailable):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = unwritable(inner)
            if found is not None:
                return found
    return None
