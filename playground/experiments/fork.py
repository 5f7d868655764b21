"""Fork and re-judge: continue a logged transcript from turn k with a model, prompt or option
changed, or judge an unchanged transcript again with another judge. The result is a new run
whose transcript links to its parent (``transcripts.parent_id``, ``origin.transcript.parent_id``
in exports); the copied turns are marked ``meta.copied``."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from typing import Any

from ..events import fan_out
from ..protocols import Protocol, TranscriptContext
from ..providers import RetryPolicy
from ..records import Turn
from ..store import RunInfo, Store, TranscriptView
from ..store.cache import ResponseCache
from ..store.writes import unwritable
from .config import Experiment, ExperimentError, parse_experiment
from .options import RunOptions, run_options
from .runner import RunSummary, create_run, prepare
from .seats import Rerun


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base`` key by key, nested tables included."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_original(store: Store, transcript_id: str) -> tuple[TranscriptView, RunInfo]:
    """A logged transcript to fork and its run; a one-line error if there is none."""
    original = store.get_transcript(transcript_id)
    if original is None:
        raise ExperimentError(f"no transcript {transcript_id!r} in {store!r}")
    run = store.get_run(original.run_id)
    assert run is not None
    return original, run


def forked_experiment(
    run: RunInfo, original: TranscriptView, changes: dict[str, Any] | None, label: str
) -> Experiment:
    """The original run's experiment with ``changes`` laid over it, narrowed to the item."""
    data = merge(run.config["experiment"], changes or {})
    data |= {"name": f"{label} ({run.name})", "items": [original.item.id]}
    data.pop("limit", None)
    return parse_experiment(data)


async def run_linked(
    store: Store,
    original: TranscriptView,
    experiment: Experiment,
    parent: dict[str, Any],
    copied: list[Turn],
    options: RunOptions | None = None,
    *,
    cache: bool = True,
    setup: Callable[[Protocol], None] | None = None,
    stored: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[RunSummary, str]:
    """Run ``original``'s item and assignment again as a new run linked to it (``parent`` goes
    to the run's config, the transcript's ``parent_id`` is the original), starting from the
    ``copied`` turns; ``setup`` adjusts the protocol first, ``options`` (or its fields as
    keywords) say how to run. The summary and the new transcript's id.

    Only the seats whose turns are run again are built: the others keep the provenance in
    ``stored`` (the original run's config), and a model they name is not built unless the
    protocol calls that seat after all (`StoredSeat`). A store that stays unwritable stops
    the run as ``failed`` with a one-line `ExperimentError`, as for any run."""
    opts = run_options(options, **fields)
    started = time.perf_counter()
    rerun = Rerun.of(original.turns, copied, stored or {})
    protocol, seats, provenance = prepare(experiment, opts.credentials, opts.models, store, rerun)
    if setup:
        setup(protocol)
    run_id = create_run(
        store, experiment, provenance, opts.source, opts.created_by, items=1, parent=parent
    )
    if opts.on_start:
        opts.on_start(run_id)
    ctx = TranscriptContext(
        run_id=run_id,
        item=original.item,
        assignment=original.assignment,
        seats=seats,
        emit=fan_out([store.record, opts.sink]),
        provenance=provenance,
        retry=opts.retry or RetryPolicy(),
        redact=opts.credentials.redact,
        cache=ResponseCache(store) if experiment.cache and cache else None,
        stream=opts.stream,
    )
    status = "failed"
    try:
        await protocol.run_transcript(ctx, parent_id=original.id, copied=copied)
        status = "done"
    except asyncio.CancelledError:
        status = "interrupted"  # as for any run: the copied and completed turns stay
        raise
    except BaseException as error:  # the store could not take a write: stop, resumable
        if (lost := unwritable(error)) is None:
            raise
        raise ExperimentError(f"run {run_id} stopped as failed: {lost}") from None
    finally:
        store.finish_run(run_id, status)
    info = store.get_run(run_id)
    assert info is not None
    return RunSummary(info=info, seconds=time.perf_counter() - started), ctx.transcript_id


async def fork(
    store: Store,
    transcript_id: str,
    options: RunOptions | None = None,
    *,
    at_turn: int | None = None,
    changes: dict[str, Any] | None = None,
    **fields: Any,
) -> RunSummary:
    """Keep the turns up to index ``at_turn`` and run the rest of the protocol again, with the
    original run's experiment plus ``changes`` (e.g. ``{"roles": {"judge": {"model": ...}}}``).

    ``at_turn=None`` re-judges: every turn but the final verdicts' is kept, so only the judges
    (as changed) speak. ``options`` (or its fields as keywords) say how to run.
    """
    original, run = load_original(store, transcript_id)
    verdict_turns = {v.turn_index for _, v, _ in original.verdicts}
    if at_turn is None:
        keep = [t for t in original.turns if t.index not in verdict_turns]
        kind = "rejudge"
    else:
        if not 0 <= at_turn < len(original.turns):
            raise ExperimentError(
                f"--at-turn: {at_turn} is not a turn of this transcript (0–{len(original.turns) - 1})"
            )
        keep = [t for t in original.turns if t.index <= at_turn and t.index not in verdict_turns]
        kind = "fork"
    label = f"{kind} of {original.item.id}" + (f" at turn {at_turn}" if at_turn is not None else "")
    experiment = forked_experiment(run, original, changes, label)
    parent = {"transcript": transcript_id, "run": run.id, "kind": kind, "at_turn": at_turn}
    summary, _ = await run_linked(
        store, original, experiment, parent, keep, run_options(options, **fields),
        stored=run.config,
    )  # fmt: skip
    return summary
