"""How a run is executed, as opposed to what it runs: the settings that travel together from the
CLI, a page or a library caller through every kind of run (an experiment, a fork, an A/B pair,
a tree edit) down to the transcripts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..events import Sink
from ..providers import Credentials, Model, RetryPolicy


class RunOptions(BaseModel):
    """How to execute a run. Nothing here is stored with the run except ``source``; the
    experiment (or the fork's changes) says what is run and is stored in full.

    Every run function takes one as ``options``; its fields may also be given as keywords
    (``run_experiment(exp, store, sink=print)``), laid over ``options`` when both are given.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", frozen=True)

    credentials: Credentials = Field(default_factory=Credentials)
    """API keys by provider or base URL; held in memory only, never logged or stored."""
    models: Mapping[str, Model] = Field(default_factory=dict)
    """`Model` objects of your own by seat (a person's seat, a scripted model); they replace
    the model the experiment names for that seat."""
    sink: Sink | None = None
    """Sees every event after the store has recorded it."""
    stream: bool = False
    """Also pass each reply's text to ``sink`` as it arrives (`TextDelta`): for a watcher."""
    source: str = "library"
    """Who started the run (``cli``, ``page``, ``library``), stored with it."""
    created_by: str | None = None
    """The signed-in person (email) who started it, stored as ``runs.created_by``; None when
    nobody signs in (the local app, the CLI)."""
    retry: RetryPolicy | None = None
    """How failed calls are retried; None: the default policy."""
    on_start: Callable[[str], None] | None = None
    """Called with the run id as soon as the run is recorded (once per run: an A/B pair
    calls it for each arm)."""

    def merged(self, **fields: Any) -> RunOptions:
        """These options with ``fields`` (names of `RunOptions` fields) laid over them."""
        if not fields:
            return self
        return type(self).model_validate({**dict(self), **fields})


def run_options(options: RunOptions | None, **fields: Any) -> RunOptions:
    """``options`` (or the defaults) with the shorthand keyword ``fields`` laid over them; an
    unknown keyword is a `TypeError` naming it, as for any function."""
    unknown = sorted(set(fields) - set(RunOptions.model_fields))
    if unknown:
        raise TypeError(f"unexpected run option {unknown[0]!r} (see RunOptions)")
    given = {k: v for k, v in fields.items() if v is not None}
    return (options or RunOptions()).merged(**given)
