"""A/B runs: the same items judged under two versions of one role's prompt, paired and compared.

`plan_ab` turns one experiment into two that differ only in that role's prompt pin (same dataset,
items, seed, options, models and other prompts, so the same assignments); `run_ab` runs arm A then
arm B. With the response cache on (the default), arm B replays every call of arm A that is
identical: when only the judge's prompt differs, both judges read the very same debates.
`playground.experiments.pairs.compare_runs` pairs the two runs' verdicts and computes the
statistics.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..prompting.versions import resolve_prompt
from ..prompts import PromptError
from ..store import Store
from .config import Experiment, ExperimentError, RoleConfig
from .options import RunOptions, run_options
from .pairs import ABResult, compare_runs
from .runner import run_experiment


@dataclass(frozen=True, kw_only=True)
class ABPlan:
    """Two experiments identical but for the prompt pinned on ``seats``."""

    ab_id: str
    role: str
    seats: tuple[str, ...]
    a: Experiment
    b: Experiment


def seats_of(experiment: Experiment, role: str) -> tuple[str, ...]:
    """The seats a role names: a seat itself (``judge``) or a shorthand (``debater``)."""
    seats = experiment.protocol_class().seats(experiment.protocol_options())
    if role in seats:
        return (role,)
    matched = tuple(s for s in seats if s.rsplit("_", 1)[0] == role)
    if not matched:
        raise ExperimentError(f"A/B role {role!r}: not a role of {experiment.protocol}")
    return matched


def plan_ab(
    base: Experiment,
    role: str,
    version_a: str,
    version_b: str,
    store: Store | None = None,
    *,
    ab_id: str | None = None,
) -> ABPlan:
    """Pin ``version_a`` and ``version_b`` (``ID@HASH`` or ``ID``) on ``role`` in two copies of
    ``base``; both are resolved now, so a bad reference stops before anything runs."""
    base.check()
    seats = seats_of(base, role)
    templates = []
    for arm, ref in (("A", version_a), ("B", version_b)):
        try:
            templates.append(resolve_prompt(ref, store))
        except PromptError as exc:
            raise ExperimentError(f"version {arm}: {exc}") from None
    if templates[0].hash == templates[1].hash:
        raise ExperimentError(
            f"versions A and B are the same wording (hash {templates[0].hash[:12]})"
        )
    pins = [f"{t.id}@{t.hash}" for t in templates]
    ab_id = ab_id or uuid.uuid4().hex[:8]
    roles = base.resolved_roles()
    arms = []
    for arm, pin in zip("ab", pins, strict=True):
        pinned = {
            seat: RoleConfig(**{**config.model_dump(exclude_unset=True), "prompt": pin})
            if seat in seats
            else config
            for seat, config in roles.items()
        }
        tags = [*base.tags, "ab", f"ab:{ab_id}", f"ab-arm:{arm}", f"ab-role:{role}"]
        name = f"{base.name} · A/B {role} · {arm.upper()}"
        arms.append(base.model_copy(update={"roles": pinned, "tags": tags, "name": name}).check())
    return ABPlan(ab_id=ab_id, role=role, seats=seats, a=arms[0], b=arms[1])


async def run_ab(
    plan: ABPlan,
    store: Store,
    options: RunOptions | None = None,
    *,
    on_start: Callable[[str, str], None] | None = None,
    concurrency: int | None = None,
    **fields: Any,
) -> ABResult:
    """Run arm A, then arm B (so B can replay A's identical calls from the cache), and compare.

    ``on_start(arm, run_id)`` is called as each arm's run is recorded (as is the options'
    own ``on_start(run_id)``); ``options`` (or its fields as keywords) say how to run both
    arms: the sink sees both arms' events, ``models`` seats the same `Model` objects in both.
    """
    opts = run_options(options, **fields)
    run_ids = []
    for arm, experiment in (("A", plan.a), ("B", plan.b)):
        summary = await run_experiment(
            experiment,
            store,
            opts.merged(on_start=_announce(opts.on_start, on_start, arm)),
            concurrency=concurrency,
        )
        run_ids.append(summary.info.id)
    return compare_runs(store, run_ids[0], run_ids[1])


def _announce(
    own: Callable[[str], None] | None, on_start: Callable[[str, str], None] | None, arm: str
) -> Callable[[str], None] | None:
    if on_start is None:
        return own

    def announce(run_id: str) -> None:
        if own:
            own(run_id)
        on_start(arm, run_id)

    return announce


def find_ab(store: Store, ab_id: str) -> tuple[str, str]:
    """The run ids of arms A and B of an A/B run, from their tags."""
    arms: dict[str, str] = {}
    for info in store.list_runs():
        if f"ab:{ab_id}" in info.tags:
            for arm in ("a", "b"):
                if f"ab-arm:{arm}" in info.tags:
                    arms.setdefault(arm, info.id)
    if set(arms) != {"a", "b"}:
        raise ExperimentError(f"no complete A/B run {ab_id!r} in {store!r}")
    return arms["a"], arms["b"]
