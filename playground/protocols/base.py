"""What every protocol shares: seats (role → model, params, prompt), the per-transcript context that
makes and records calls, and the `Protocol` base class."""

from __future__ import annotations

import random
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from ..datasets.errors import DatasetError
from ..events import (
    Sink,
    TextDelta,
    TranscriptFinished,
    TranscriptStarted,
    TurnCompleted,
    TurnRestarted,
    TurnStarted,
    VerdictReached,
)
from ..prompts import PromptTemplate
from ..providers import Completion, GenerateConfig, Message, Model, RetryPolicy, generate_with_retry
from ..providers.human import ReplyKind, expecting
from ..providers.limits import Limiter
from ..records import Assignment, Item, Provenance, RoleProvenance, Turn, Verdict, score
from .meta import Measurement, TurnMeta
from .spec import ProtocolInfo, ReportSection, reply_for
from .verdict_modes import JudgeSignals

if TYPE_CHECKING:
    from ..store import Store
    from ..store.cache import ResponseCache

LOGGED = "run:"
"""Dataset prefix naming a logged run (``dataset = "run:<run id>"``), for protocols that
make their items from one (`Protocol.logged_items`)."""


HUMAN = "human"
"""The model string of a turn a person wrote."""


def new_id() -> str:
    return uuid.uuid4().hex


def one_line(error: BaseException, redact: Callable[[str], str] = lambda s: s) -> str:
    """An error as one line, secrets removed: what the store and the page show."""
    text = " ".join(str(error).split()) or type(error).__name__
    return redact(f"{type(error).__name__}: {text}")[:500]


@dataclass
class Seat:
    """Who sits in a role: a model, its generation parameters and its prompt template."""

    role: str
    model: Model
    config: GenerateConfig = field(default_factory=GenerateConfig)
    prompt: PromptTemplate | None = None
    limiter: Limiter | None = None
    """Shared with every seat on the same provider in a run."""
    votes: int = 1
    """A judge seat's samples per verdict (`playground.protocols.votes`); 1: one call."""

    def provenance(self, resolved_model: str | None = None) -> RoleProvenance:
        described = self.model.describe()
        return RoleProvenance(
            model=self.model.model_string,
            resolved_model=resolved_model,
            base_url=described.get("base_url"),
            params=self.config.params(),
            prompt_id=self.prompt.id if self.prompt else None,
            prompt_hash=self.prompt.hash if self.prompt else None,
            votes=self.votes if self.votes > 1 else None,
        )


class TurnFailed(Exception):
    """A call failed after its retries; the failed turn is already recorded."""

    def __init__(self, turn: Turn) -> None:
        super().__init__(f"{turn.role} turn {turn.index} failed: {turn.error}")
        self.turn = turn


@dataclass
class TranscriptContext:
    """Everything one transcript needs; every call goes through `call` so it is streamed,
    retried and recorded the same way whatever the protocol."""

    run_id: str
    item: Item
    assignment: Assignment
    seats: dict[str, Seat]
    emit: Sink
    provenance: Provenance
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    redact: Callable[[str], str] = lambda s: s
    cache: ResponseCache | None = None
    stream: bool = False
    """Stream replies as `TextDelta` events; off in batch runs, where nobody reads them and
    SDK stream parsing costs CPU per chunk."""
    transcript_id: str = field(default_factory=new_id)
    turns: list[Turn] = field(default_factory=list)
    replies: dict[str, ReplyKind] = field(default_factory=dict)
    """The reply each seat's own prompt asks for (`Protocol.replies`, set when it runs)."""
    _next_index: int = 0

    def reserve_index(self) -> int:
        """Claim the next turn index now, so turns started together keep a fixed order."""
        index = self._next_index
        self._next_index += 1
        return index

    async def call(
        self,
        role: str,
        messages: list[Message],
        *,
        round: int | None = None,
        index: int | None = None,
        meta: dict[str, Any] | None = None,
        prompt: PromptTemplate | None = None,
        annotate: Callable[[str], dict[str, Any]] | None = None,
        sample: int = 0,
        reply: ReplyKind | None = None,
        config: GenerateConfig | None = None,
        read: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Turn:
        """Call the model in ``role``'s seat, streaming deltas out as events; record the turn.

        ``prompt`` is the template the messages came from when it is not the seat's own (a
        judge's question prompt); ``annotate`` adds to the turn's meta from its text before the
        turn is recorded (e.g. an interim credence); ``sample`` numbers deliberate repeats of the
        same call (best-of-N candidates) so the cache keeps them apart; ``reply`` is the form of
        reply the messages ask for (what a person in the seat is given to fill in): by default
        the seat's declared one for its own prompt, free text for another prompt; ``config``
        replaces the seat's generation parameters for this call (a judge vote's own seed);
        ``read`` is ``annotate`` given the meta so far too (a judgement read from
        log-probabilities). Raises
        `TurnFailed` (after recording the failed turn) when the call fails for good.

        A seat's ``verdict_mode`` applies to calls with its own prompt only (a judge's
        question is free text). What the call returned besides text (token log-probabilities,
        hidden reasoning: `JudgeSignals`) goes on the turn's meta, never into its content.
        """
        seat = self.seats[role]
        config = config or seat.config
        if prompt is not None and config.verdict_mode is not None:
            config = config.model_copy(update={"verdict_mode": None})
        if reply is None:
            reply = reply_for(self.replies, role) if prompt is None else "text"
        prompt = prompt or seat.prompt
        index = self.reserve_index() if index is None else index
        tid = self.transcript_id
        self.emit(TurnStarted(tid, index, role, round, seat.model.model_string))
        retries = 0

        def on_retry(error: BaseException, attempt: int, wait: float) -> None:
            nonlocal retries
            retries = attempt
            self.emit(TurnRestarted(tid, index, one_line(error, self.redact), wait))

        common: dict[str, Any] = {
            "index": index,
            "role": role,
            "round": round,
            "model": seat.model.model_string,
            "prompt_id": prompt.id if prompt else None,
            "prompt_hash": prompt.hash if prompt else None,
            "params": config.params(),
            "meta": meta or {},
        }

        def on_delta(text: str) -> None:
            self.emit(TextDelta(tid, index, text))

        try:
            with expecting(reply):
                completion, cached = await self._complete(
                    seat, messages, on_delta, on_retry, sample, config
                )
        except Exception as exc:
            turn = Turn(**common, error=one_line(exc, self.redact), retries=retries)
            self._record(turn)
            raise TurnFailed(turn) from exc
        if completion.meta:
            common["meta"] = {**common["meta"], **completion.meta}
        signals = JudgeSignals.of(completion).meta()
        if signals:
            common["meta"] = {**common["meta"], **signals}
        if annotate:
            common["meta"] = {**common["meta"], **annotate(completion.text)}
        if read:
            common["meta"] = {**common["meta"], **read(completion.text, common["meta"])}
        turn = Turn(
            **common,
            resolved_model=completion.resolved_model,
            content=completion.text,
            input_tokens=completion.usage.input_tokens,
            output_tokens=completion.usage.output_tokens,
            latency_ms=round_ms(completion.latency_ms),
            cost_usd=completion.usage.cost_usd,
            retries=retries,
            cached=cached,
        )
        self._record(turn)
        return turn

    def copy_turns(self, turns: list[Turn]) -> None:
        """Start from another transcript's turns (a fork): each is recorded again, as it was,
        with ``meta.copied = True``; failed turns are not copied, so they are run again."""
        for turn in sorted(turns, key=lambda t: t.index):
            if turn.error is None:
                self._record(turn.model_copy(update={"meta": {**turn.meta, "copied": True}}))
                self._next_index = max(self._next_index, turn.index + 1)

    def note_turn(
        self,
        role: str,
        content: str,
        *,
        model: str,
        round: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Turn:
        """Record a turn no model call produced here: a person's entry, or the candidate a
        selector picked (its tokens and cost are on the candidate's own turn)."""
        turn = Turn(
            index=self.reserve_index(),
            role=role,
            round=round,
            model=model,
            content=content,
            meta=meta or {},
        )
        self.emit(TurnStarted(self.transcript_id, turn.index, role, round, model))
        self._record(turn)
        return turn

    def human_turn(
        self,
        role: str,
        content: str,
        *,
        round: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Turn:
        """Record what a person wrote in ``role``'s seat: same schema, ``model = "human"``."""
        return self.note_turn(role, content, model=HUMAN, round=round, meta=meta)

    async def _complete(
        self,
        seat: Seat,
        messages: list[Message],
        on_delta: Callable[[str], None],
        on_retry: Callable[[BaseException, int, float], None],
        sample: int = 0,
        config: GenerateConfig | None = None,
    ) -> tuple[Completion, bool]:
        """The completion and whether it came from the cache; a miss is retried, limited by
        the seat's provider limiter, and cached once it succeeds. ``config``: the seat's
        own unless the call changes it."""
        config = config or seat.config
        key, completion = (
            self.cache.lookup(seat.model, messages, config, sample) if self.cache else ("", None)
        )
        if completion is not None:
            if self.stream:
                on_delta(completion.text)
            return completion, True
        completion = await generate_with_retry(
            seat.model,
            messages,
            config,
            on_delta=on_delta if self.stream else None,
            on_retry=on_retry,
            policy=self.retry,
            limiter=seat.limiter,
        )
        if self.cache:
            self.cache.put(key, seat.model, completion)
        return completion, False

    def _record(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.emit(TurnCompleted(self.transcript_id, turn))

    def verdict(self, verdict: Verdict) -> bool | None:
        """Score and record a verdict with full provenance; returns whether it is correct."""
        resolved = {t.role: t.resolved_model for t in self.turns if t.resolved_model}
        roles = {role: seat.provenance(resolved.get(role)) for role, seat in self.seats.items()}
        provenance = self.provenance.model_copy(update={"roles": roles})
        is_correct = score(verdict, self.item.correct)
        self.emit(
            VerdictReached(
                self.run_id, self.transcript_id, new_id(), verdict, is_correct, provenance
            )
        )
        return is_correct


def round_ms(value: float) -> float:
    return round(value, 1)


OptionsT = TypeVar("OptionsT", bound=BaseModel)


class Protocol(ABC, Generic[OptionsT]):
    """An oversight protocol: how an item becomes transcripts, turns and verdicts, and what the
    pages and the report need to know of it (``info``, ``replies``, ``sections``,
    `expected_calls`). A subclass is generic in its options: ``class Debate(Protocol[DebateOptions])``.
    Registered with `playground.protocols.register`."""

    name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]]
    """Seats the protocol needs, e.g. ("debater_a", "debater_b", "judge")."""
    prompts: ClassVar[dict[str, str]]
    """Default prompt id per role."""
    verdict_role: ClassVar[str] = "judge"
    needs_truth: ClassVar[bool] = True
    """Whether every item must have a true answer (``correct``) to be run."""
    Options: ClassVar[type[BaseModel]]
    """The ``[options]`` table's model (the type parameter, as a class for validation)."""
    info: ClassVar[ProtocolInfo]
    replies: ClassVar[dict[str, ReplyKind]] = {}
    """The reply each seat's own prompt asks for (an added seat ``judge_b`` as ``judge``);
    seats not named give free text. A call with another prompt says its own (``ctx.call``)."""
    sections: ClassVar[tuple[ReportSection, ...]] = ()
    """What the protocol adds to the report (beyond the sections every judged run gets)."""
    measurements: ClassVar[tuple[type[Measurement], ...]] = ()
    """The models of its verdicts' ``metrics`` (`playground.protocols.reading.measurement`)."""
    prompt_dir: ClassVar[Path | None] = None
    """A folder of its own prompt templates, for a protocol from outside the package (the
    built-in ones keep theirs in ``prompts/``)."""
    turn_metas: ClassVar[tuple[type[TurnMeta], ...]] = ()
    """The models of its turns' ``meta``, one per ``kind`` (`playground.protocols.reading.turn_meta`)."""
    reads_verdict_modes: ClassVar[bool] = False
    """Whether its judge seats (``options.judges``) may set ``verdict_mode``
    (`playground.protocols.verdict_modes`); other protocols read their own replies."""

    def __init__(self, options: OptionsT) -> None:
        self.options: OptionsT = options

    @classmethod
    def seats(cls, options: OptionsT) -> tuple[str, ...]:
        """The roles this run needs: ``roles``, plus any the options add (a judge panel)."""
        return cls.roles

    @classmethod
    def verdict_mode_seats(cls, options: OptionsT) -> tuple[str, ...]:
        """The seats whose ``verdict_mode`` this protocol honours (none unless it reads them)."""
        if not cls.reads_verdict_modes:
            return ()
        return tuple(getattr(options, "judges", ()))

    @classmethod
    def expected_calls(cls, options: OptionsT) -> int:
        """About how many calls (and a person's turns) one item makes over all its
        transcripts, for a progress label: by default one per seat."""
        return len(cls.seats(options))

    @classmethod
    def default_prompt(cls, role: str) -> str:
        """The prompt id a seat uses when its role table names none; an added seat such as
        ``judge_b`` uses its base role's (``judge``)."""
        return cls.prompts.get(role) or cls.prompts[role.rsplit("_", 1)[0]]

    def check_items(self, items: Sequence[Item]) -> None:
        """Refuse, before anything is recorded, items this protocol cannot run: raises
        ValueError with one line naming the first bad item."""
        if self.needs_truth:
            for item in items:
                if item.correct is None:
                    raise ValueError(
                        f"item {item.id!r} has no true answer ('correct'), which {self.name} needs"
                    )

    def logged_items(self, store: Store, run_id: str) -> list[Item]:
        """Items made from a logged run, for ``dataset = "run:<run id>"``; a protocol that
        reads one (consistency's judge checks) overrides this."""
        raise DatasetError(f"{LOGGED}{run_id}: protocol {self.name} cannot take a logged run")

    @abstractmethod
    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        """The transcripts to run for one item (one per assignment, e.g. original and swapped)."""

    @abstractmethod
    async def run(self, ctx: TranscriptContext) -> None:
        """Run one transcript, calling models through ``ctx.call`` and ending in ``ctx.verdict``."""

    async def run_transcript(
        self, ctx: TranscriptContext, parent_id: str | None = None, copied: list[Turn] | None = None
    ) -> None:
        """Run with bookkeeping: a transcript that cannot finish still ends in a recorded
        ``error`` verdict, so every item is accounted for and none is ever scored by accident.
        A fork passes its ``parent_id`` and the ``copied`` turns it starts from."""
        ctx.emit(
            TranscriptStarted(ctx.run_id, ctx.transcript_id, ctx.item, ctx.assignment, parent_id)
        )
        ctx.replies = dict(self.replies)
        ctx.copy_turns(copied or [])
        try:
            await self.run(ctx)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, TurnFailed) else one_line(exc, ctx.redact)
            ctx.verdict(Verdict(status="error", reason=reason, role=self.verdict_role))
            ctx.emit(TranscriptFinished(ctx.transcript_id, "error", reason))
            return
        ctx.emit(TranscriptFinished(ctx.transcript_id, "done"))
