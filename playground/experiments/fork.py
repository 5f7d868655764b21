"""Fork and re-judge: continue a logged transcript from turn k with a model, prompt or option
changed, or judge an unchanged transcript again with another judge. The result is a new run
whose transcript links to its parent (``transcripts.parent_id``, ``origin.transcript.parent_id``
in exports); the copied turns are marked ``meta.copied``."""

from __future__ import annotations

import copy
import time
from typing import Any

from ..events import Sink, fan_out
from ..protocols import TranscriptContext
from ..providers import Credentials, Model, RetryPolicy
from ..store import Store
from ..store.cache import ResponseCache
from .config import ExperimentError, parse_experiment
from .runner import RunSummary, create_run, prepare


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base`` key by key, nested tables included."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


async def fork(
    store: Store,
    transcript_id: str,
    *,
    at_turn: int | None = None,
    changes: dict[str, Any] | None = None,
    credentials: Credentials | None = None,
    models: dict[str, Model] | None = None,
    sink: Sink | None = None,
    stream: bool = False,
    source: str = "library",
) -> RunSummary:
    """Keep the turns up to index ``at_turn`` and run the rest of the protocol again, with the
    original run's experiment plus ``changes`` (e.g. ``{"roles": {"judge": {"model": ...}}}``).

    ``at_turn=None`` re-judges: every turn but the final verdicts' is kept, so only the judges
    (as changed) speak.
    """
    started = time.perf_counter()
    credentials = credentials or Credentials()
    original = store.get_transcript(transcript_id)
    if original is None:
        raise ExperimentError(f"no transcript {transcript_id!r} in {store!r}")
    run = store.get_run(original.run_id)
    assert run is not None
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
    data = merge(run.config["experiment"], changes or {})
    label = f"{kind} of {original.item.id}" + (f" at turn {at_turn}" if at_turn is not None else "")
    data |= {"name": f"{label} ({run.name})", "items": [original.item.id]}
    data.pop("limit", None)
    experiment = parse_experiment(data)
    protocol, seats, provenance = prepare(experiment, credentials, models, store)
    parent = {"transcript": transcript_id, "run": run.id, "kind": kind, "at_turn": at_turn}
    run_id = create_run(store, experiment, provenance, source, items=1, parent=parent)
    ctx = TranscriptContext(
        run_id=run_id,
        item=original.item,
        assignment=original.assignment,
        seats=seats,
        emit=fan_out([store.record, sink]),
        provenance=provenance,
        retry=RetryPolicy(),
        redact=credentials.redact,
        cache=ResponseCache(store) if experiment.cache else None,
        stream=stream,
    )
    status = "failed"
    try:
        await protocol.run_transcript(ctx, parent_id=transcript_id, copied=keep)
        status = "done"
    finally:
        store.finish_run(run_id, status)
    info = store.get_run(run_id)
    assert info is not None
    return RunSummary(info=info, seconds=time.perf_counter() - started)
