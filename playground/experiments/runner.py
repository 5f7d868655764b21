"""Running an experiment: items × assignments as transcripts, concurrently, recorded as they go,
resumable after an interruption or a crash."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from .. import __version__, package_versions
from ..datasets import load_dataset
from ..events import LimitChanged, RunStarted, fan_out
from ..prompting.validate import check_for_seat
from ..prompting.versions import resolve_prompt
from ..prompts import PromptError, get_prompt
from ..protocols import Protocol, Seat, TranscriptContext
from ..protocols.base import LOGGED
from ..providers import Credentials, GenerateConfig, Model, ProviderError, RetryPolicy, get_model
from ..providers.limits import Limiter, Limiters, Limits, in_use
from ..records import Item, Provenance, RoleProvenance, plan_key
from ..store import RunInfo, Store
from ..store.cache import ResponseCache
from ..store.redact import drop_redacted
from ..store.writes import unwritable
from . import batching
from .budget import Budget, budget_stop
from .config import Experiment, ExperimentError, RoleConfig
from .options import RunOptions, run_options
from .seats import Rerun, StoredSeat


def new_run_id() -> str:
    """Sortable and readable: creation time plus a random suffix."""
    return f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunSummary:
    """How a run came out; ``info`` holds the stored counts."""

    info: RunInfo
    seconds: float
    stopped: str | None = None
    """Why a run ended as ``budget``: the budget reached."""

    def lines(self) -> list[str]:
        i = self.info
        ok, bad, err = (i.verdicts.get(s, 0) for s in ("ok", "unparseable", "error"))
        accuracy = f"{i.accuracy:.1%} of scored verdicts" if i.accuracy is not None else "n/a"
        return (
            [
                f"run {i.id} ({i.name}): {i.status} in {self.seconds:.1f}s",
                f"transcripts: {i.transcripts}   verdicts: {ok} ok, {bad} unparseable, {err} error",
                f"correct: {i.correct}   accuracy: {accuracy}",
                f"tokens: {i.input_tokens} in, {i.output_tokens} out   cost: ${i.cost_usd:.4f}",
            ]
            + ([f"stopped: {self.stopped}; raise it and --resume {i.id}"] if self.stopped else [])
            + [
                f"limit {name}: {r['max_in_flight']} calls in flight, lowered to {r['lowest']} after "
                f"{r['rate_limited']} rate-limited attempts, {r['in_force']} at the end"
                for name, r in (i.config.get("limits_in_force") or {}).items()
                if r.get("rate_limited")
            ]
        )


def build_seats(
    experiment: Experiment,
    credentials: Credentials,
    models: Mapping[str, Model] | None = None,
    store: Store | None = None,
    rerun: Rerun | None = None,
) -> dict[str, Seat]:
    """Resolve each seat's model, generation parameters, prompt template and provider limiter.

    A ``[limits.X]`` table applies to seats whose model string is X or whose provider is X;
    seats under the same table share one limiter. A prompt pinned as ``ID@HASH`` is a stored
    version (`playground.prompting`), so pinning one needs ``store``; with a store, the
    template files used are recorded there as versions. With ``rerun`` (a re-judge or fork),
    only the seats that speak again are built; the others are `StoredSeat` s.
    """
    protocol = experiment.protocol_class()
    limiters: dict[str, Limiter] = {}
    calls = (
        Limiter(Limits(max_in_flight=experiment.max_calls), name="max_calls")
        if experiment.max_calls
        else None
    )

    def build(
        role: str, config: RoleConfig, generate: GenerateConfig
    ) -> tuple[Model, Limiter | None]:
        model = (models or {}).get(role) or get_model(
            config.model, base_url=config.base_url, credentials=credentials, **config.init
        )
        if generate.verdict_mode is not None and role not in protocol.verdict_mode_seats(
            experiment.protocol_options()
        ):
            raise ExperimentError(
                f"roles.{role}: verdict_mode is read only on the judge seats of blind, "
                f"consultancy and debate (not on this seat of {experiment.protocol})"
            )
        if generate.verdict_mode == "logprobs" and getattr(config, "votes", 1) > 1:
            raise ExperimentError(
                f"roles.{role}: votes cannot be combined with verdict_mode = 'logprobs' "
                f"(its verdict is already a distribution over the labels)"
            )
        try:
            model.check_config(generate)
        except ProviderError as exc:
            raise ExperimentError(f"roles.{role}: {exc}") from None
        limit_key = next(
            (k for k in (model.model_string, model.provider) if k in experiment.limits), None
        )
        limiter: Limiter | None = None
        if limit_key is not None:
            limiter = limiters.setdefault(
                limit_key, Limiter(experiment.limits[limit_key], name=limit_key)
            )
        if calls is not None:
            limiter = Limiters(limiter, calls) if limiter is not None else calls
        return model, limiter

    seats: dict[str, Seat] = {}
    for role, config in experiment.resolved_roles().items():
        generate = config.generate_config()
        if config.votes > 1 and not role.startswith("judge"):
            raise ExperimentError(f"roles.{role}: votes applies to judge seats only")
        try:
            prompt = resolve_prompt(config.prompt or protocol.default_prompt(role), store)
            if config.prompt and "@" in config.prompt:
                check_for_seat(prompt, get_prompt(protocol.default_prompt(role)), role)
        except PromptError as exc:
            raise ExperimentError(f"roles.{role}: {exc}") from None
        if rerun is not None and role not in rerun.speaking:
            stored = rerun.stored.get(role) or RoleProvenance(
                model=config.model, params=generate.params(), prompt_id=prompt.id,
                prompt_hash=prompt.hash,
            )  # fmt: skip
            later = partial(build, role, config, generate)
            seats[role] = StoredSeat(role, generate, prompt, stored, later)
            continue
        model, limiter = build(role, config, generate)
        seats[role] = Seat(
            role=role,
            model=model,
            config=generate,
            prompt=prompt,
            limiter=limiter,
            votes=config.votes,
        )
    return seats


def select_items(
    experiment: Experiment, store: Store | None = None, protocol: Protocol | None = None
) -> list[Item]:
    """The experiment's items: its dataset, or with ``run:<id>`` what its protocol makes of a
    logged run in ``store`` (`Protocol.logged_items`), narrowed by ``items`` and ``limit``."""
    if experiment.dataset.startswith(LOGGED):
        if store is None:
            raise ExperimentError(
                f"dataset {experiment.dataset}: reading a logged run needs a store"
            )
        protocol = protocol or experiment.protocol_class()(experiment.protocol_options())
        items = protocol.logged_items(store, experiment.dataset.removeprefix(LOGGED))
    else:
        items = load_dataset(experiment.dataset, seed=experiment.seed).items
    if experiment.items is not None:
        by_id = {item.id: item for item in items}
        unknown = [i for i in experiment.items if i not in by_id]
        if unknown:
            raise ExperimentError(f"items: no item {unknown[0]!r} in {experiment.dataset}")
        items = [by_id[i] for i in experiment.items]
    return items[: experiment.limit] if experiment.limit else items


def load_run_experiment(store: Store, run_id: str) -> Experiment:
    """The experiment a stored run was started with, to resume it."""
    info = store.get_run(run_id)
    if info is None:
        raise ExperimentError(f"--resume: no run {run_id!r} in {store!r}")
    if info.status == "done":
        raise ExperimentError(f"--resume: run {run_id} is already done")
    return Experiment.model_validate(drop_redacted(info.config["experiment"])).check()


def prepare(
    experiment: Experiment,
    credentials: Credentials,
    models: Mapping[str, Model] | None = None,
    store: Store | None = None,
    rerun: Rerun | None = None,
) -> tuple[Protocol, dict[str, Seat], Provenance]:
    """Check an experiment and build its protocol, seats and the provenance its verdicts carry
    (``store`` resolves pinned prompt versions; ``rerun``: only the seats that speak again are
    built, as `build_seats`)."""
    experiment.check()
    options = experiment.protocol_options()
    protocol: Protocol = experiment.protocol_class()(options)
    seats = build_seats(experiment, credentials, models, store, rerun)
    provenance = Provenance(
        roles={role: seat.provenance() for role, seat in seats.items()},
        options=options.model_dump(mode="json"),
        dataset=experiment.dataset,
        seed=experiment.seed,
        playground_version=__version__,
        packages=package_versions(),
    )
    return protocol, seats, provenance


def create_run(
    store: Store,
    experiment: Experiment,
    provenance: Provenance,
    source: str,
    created_by: str | None = None,
    **extra: object,
) -> str:
    """Record a new run with its full configuration; its id."""
    run_id = new_run_id()
    store.create_run(
        run_id,
        name=experiment.name,
        protocol=experiment.protocol,
        dataset=experiment.dataset,
        config={
            "experiment": experiment.model_dump(mode="json", exclude_none=True),
            "provenance": provenance.model_dump(mode="json"),
            **extra,
        },
        tags=experiment.tags,
        version=__version__,
        source=source,
        created_by=created_by,
    )
    return run_id


async def run_experiment(
    experiment: Experiment | None,
    store: Store,
    options: RunOptions | None = None,
    *,
    resume: str | None = None,
    concurrency: int | None = None,
    cache: bool | None = None,
    budget: Mapping[str, float | None] | None = None,
    **fields: Any,
) -> RunSummary:
    """Run every item of an experiment and record it in ``store``; return the summary.

    ``options`` says how (credentials, your own models, the sink, streaming, the source, the
    retry policy, an ``on_start`` callback); its fields may be given as keywords instead
    (`RunOptions`). ``sink`` sees every event after the store has recorded it; with
    ``stream`` it also gets each reply's text as it arrives (`TextDelta`), which is how the
    page streams. ``on_start`` is called with the run id as soon as the run is recorded.

    ``resume`` continues a stored run that was interrupted or killed: transcripts that reached a
    verdict are kept and not redone; unfinished ones are run again (their partial turns stay,
    marked ``abandoned``, and produce no record). ``experiment`` is then None: the run's own
    stored experiment is used. ``concurrency`` and ``cache`` override the experiment's own
    settings, and ``budget`` its budget keys (``max_cost_usd``, ``max_transcript_cost_usd``,
    ``max_tokens_total``: a higher one to resume a run stopped as ``budget``). Cancelling (Ctrl-C, `RunHandle.cancel`) marks the run ``interrupted``; what
    completed stays recorded. To run it on a thread of its own, use `RunHandle`.
    """
    started = time.perf_counter()
    opts = run_options(options, **fields)
    credentials, sink = opts.credentials, opts.sink
    if resume:
        experiment = load_run_experiment(store, resume)
    if experiment is None:
        raise ExperimentError("nothing to run: give an experiment or a run id to resume")
    overrides = {"concurrency": concurrency, "cache": cache, **(budget or {})}
    experiment = experiment.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    protocol, seats, provenance = prepare(experiment, credentials, opts.models, store)
    if experiment.batch:
        batching.check_seats(seats)
    items = select_items(experiment, store, protocol)
    try:
        protocol.check_items(items)
    except ValueError as exc:
        raise ExperimentError(f"dataset {experiment.dataset}: {exc}") from None

    done: set[tuple[str, str]] = set()
    if resume:
        run_id = resume
        done = store.reopen_run(run_id)
    else:
        run_id = create_run(
            store, experiment, provenance, opts.source, opts.created_by, items=len(items)
        )
    if opts.on_start:
        opts.on_start(run_id)
    emit = fan_out([store.record, sink])
    batcher = batching.collector_for(experiment, store, run_id, emit)
    seats = batcher.wrap(seats) if batcher else seats
    responses = ResponseCache(store) if experiment.cache else None
    guard = Budget.of(experiment, store, run_id if resume else None)
    for limiter in in_use(seat.limiter for seat in seats.values()).values():
        limiter.on_change = lambda lim: emit(
            LimitChanged(lim.name, lim.in_force or 1, lim.limits.max_in_flight or 1)
        )

    contexts = []
    skipped = 0
    for item in items:
        rng = random.Random(f"{experiment.seed}:{item.id}")
        for assignment in protocol.assignments(item, rng):
            if plan_key(item.id, assignment) in done:
                skipped += 1
                continue
            contexts.append(
                TranscriptContext(
                    run_id=run_id,
                    item=item,
                    assignment=assignment,
                    seats=seats,
                    emit=guard.guard(emit) if guard.active else emit,
                    provenance=provenance,
                    retry=opts.retry or RetryPolicy(),
                    redact=credentials.redact,
                    cache=responses,
                    stream=opts.stream,
                )
            )
    emit(RunStarted(run_id, total=len(contexts), skipped=skipped))
    # a batch run keeps every transcript going, so each wave holds a step of all of them
    limit = asyncio.Semaphore(len(contexts) or 1 if batcher else experiment.concurrency)

    async def run_one(ctx: TranscriptContext) -> None:
        async with limit, batching.transcript_scope(batcher, ctx):
            if guard.run_reached():
                return  # not started: it runs on --resume with a higher budget
            try:
                await protocol.run_transcript(ctx)
            except BaseException as error:
                if not budget_stop(error):
                    raise  # a budget stops this transcript only; the run goes on

    status = "failed"
    try:
        async with asyncio.TaskGroup() as group:
            for ctx in contexts:
                group.create_task(run_one(ctx))
        status = "budget" if guard.reason else "done"
    except asyncio.CancelledError:
        status = "interrupted"
        raise
    except BaseExceptionGroup as errors:  # the store could not take a write: stop, resumable
        if (pending := batching.stopped(errors)) is not None:
            status = "interrupted"
            raise ExperimentError(
                f"run {run_id} interrupted (--resume {run_id}): {pending}"
            ) from None
        if (lost := unwritable(errors)) is None:
            raise
        raise ExperimentError(
            f"run {run_id} stopped as failed (--resume {run_id}): {lost}"
        ) from None
    finally:
        if batcher:
            await batcher.close()
        adapted = {k: v.record() for k, v in in_use(s.limiter for s in seats.values()).items()}
        store.finish_run(run_id, status, extra={"limits_in_force": adapted} if adapted else None)
    info = store.get_run(run_id)
    assert info is not None
    return RunSummary(info=info, seconds=time.perf_counter() - started, stopped=guard.reason)
