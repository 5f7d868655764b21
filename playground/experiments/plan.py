"""``playground run --dry-run``: the calls a run will make per seat and what they may cost, before
anything is sent. The protocol is played through with a scripted stand-in in every seat (no
network, nothing stored) on a sample of the items, which counts the calls each seat makes and
the prompts it is sent; the price table (`playground.providers.pricing`) turns that into an
estimate."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

from pydantic import BaseModel, Field

from ..protocols import TranscriptContext
from ..providers import Credentials, ProviderError, split_model_string
from ..providers.pricing import price_for
from ..providers.scripted import ScriptedModel
from ..records import plan_key
from ..store import Store
from .config import Experiment, ExperimentError
from .runner import load_run_experiment, prepare, select_items

SAMPLE = 20
"""Items played through; the counts are scaled to all items."""
REPLY_TOKENS = 400
"""Output tokens assumed per call for a seat without ``max_tokens``."""
CHARS_PER_TOKEN = 4.0
"""Prompt characters per token, for the estimate (about right for English with common BPEs)."""
REPLY = "Answer: A\nConfidence: 60"
"""What every stand-in answers: a parseable verdict, so judged protocols run their course."""


class SeatPlan(BaseModel):
    """One seat's planned calls and their estimated tokens and cost."""

    role: str
    model: str
    calls: float
    input_tokens: float
    output_tokens: float
    cost_usd: float | None = Field(description="None: no price for this model in the table.")


class Plan(BaseModel):
    """What a run would do: its transcripts, each seat's calls, the estimated cost."""

    name: str
    items: int
    transcripts: int
    sampled: int
    seats: list[SeatPlan]
    budget: dict[str, float] = Field(default_factory=dict)
    """The budgets the run would stop at."""

    @property
    def cost_usd(self) -> float | None:
        costs = [s.cost_usd for s in self.seats]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    def lines(self) -> list[str]:
        head = f"dry run of {self.name}: {self.items} items, {self.transcripts} transcripts"
        lines = [head + ("" if self.sampled >= self.items else f" (counted on {self.sampled})")]
        for s in self.seats:
            cost = "price unknown" if s.cost_usd is None else f"~${s.cost_usd:.4f}"
            lines.append(
                f"  {s.role}: {s.model}  {s.calls:g} calls  ~{s.input_tokens:,.0f} in + "
                f"~{s.output_tokens:,.0f} out tokens  {cost}"
            )
        total = self.cost_usd
        known = sum(s.cost_usd or 0.0 for s in self.seats)
        calls = sum(s.calls for s in self.seats)
        lines.append(
            f"total: {calls:g} calls, estimated "
            + (f"${total:.4f}" if total is not None else f"${known:.4f} + seats of unknown price")
            + f" (prompts at {CHARS_PER_TOKEN:g} characters a token; replies at max_tokens or "
            f"{REPLY_TOKENS} tokens; no cache hits assumed)"
        )
        if self.budget:
            lines.append("budget: " + ", ".join(f"{k} = {v:g}" for k, v in self.budget.items()))
        lines.append("nothing was sent")
        return lines


def plan_run(
    experiment: Experiment | None,
    store: Store,
    resume: str | None = None,
    budget: Mapping[str, float | None] | None = None,
) -> Plan:
    """The plan of running ``experiment`` (or what is left of the stored run ``resume``)."""
    if resume:
        experiment = load_run_experiment(store, resume)
    if experiment is None:
        raise ExperimentError("nothing to plan: give an experiment or a run id to resume")
    roles = experiment.check().resolved_roles()
    stand_ins = {role: ScriptedModel([REPLY], name=role) for role in roles}
    protocol, seats, provenance = prepare(experiment, Credentials(), stand_ins, store)
    items = select_items(experiment, store, protocol)
    try:
        protocol.check_items(items)
    except ValueError as exc:
        raise ExperimentError(f"dataset {experiment.dataset}: {exc}") from None
    done = set()
    if resume:  # what a resume would not run again: transcripts that reached a verdict
        done = {
            plan_key(v.item.id, v.assignment) for v in store.transcripts_of(resume) if v.verdicts
        }
    plans = []
    for item in items:
        rng = random.Random(f"{experiment.seed}:{item.id}")
        assignments = protocol.assignments(item, rng)
        plans.append([a for a in assignments if plan_key(item.id, a) not in done])
    sample = list(zip(items[:SAMPLE], plans[:SAMPLE], strict=True))

    async def play() -> None:
        for item, assignments in sample:
            for assignment in assignments:
                ctx = TranscriptContext(
                    run_id="dry-run", item=item, assignment=assignment, seats=seats,
                    emit=lambda event: None, provenance=provenance,
                )  # fmt: skip
                await protocol.run_transcript(ctx)

    asyncio.run(play())
    played = sum(len(a) for _, a in sample)
    total = sum(len(a) for a in plans)
    scale = total / played if played else 0.0
    return Plan(
        name=experiment.name,
        items=len(items),
        transcripts=total,
        sampled=len(sample),
        seats=[
            _seat(role, roles[role].model, roles[role].max_tokens, stand_ins[role], scale)
            for role in roles
        ],
        budget={k: v for k, v in (budget or {}).items() if v is not None},
    )


def _seat(
    role: str, model: str, max_tokens: int | None, stand_in: ScriptedModel, scale: float
) -> SeatPlan:
    calls = len(stand_in.calls) * scale
    chars = sum(len(m.content) for call in stand_in.calls for m in call)
    input_tokens = chars / CHARS_PER_TOKEN * scale
    output_tokens = calls * (max_tokens or REPLY_TOKENS)
    return SeatPlan(
        role=role, model=model, calls=round(calls, 1), input_tokens=input_tokens,
        output_tokens=output_tokens, cost_usd=_cost(model, input_tokens, output_tokens),
    )  # fmt: skip


def _cost(model: str, input_tokens: float, output_tokens: float) -> float | None:
    """From the price table; 0 for models that run here; None when the price is unknown."""
    try:
        provider, name = split_model_string(model)
    except ProviderError:
        return None
    if provider in ("local", "scripted"):
        return 0.0
    price = price_for(name.rsplit("/", 1)[-1])
    if price is None:
        return None
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000
