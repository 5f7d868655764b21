"""The record schema: one shape from protocol to store to analysis to export.

A *transcript* is one run of one dataset item under one assignment of answers to seats (a
question run with positions swapped gives two transcripts). Its *turns* are every model or human
call in order, judge calls included. A *verdict* is a judge's decision on a transcript; the
exported `Record` is one verdict with everything needed to trace it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

VerdictStatus = Literal["ok", "unparseable", "error"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Item(_Record):
    """One dataset question."""

    id: str = Field(description="Unique within its dataset.")
    question: str
    answers: list[str] = Field(min_length=2, description="Candidate answers, at least two.")
    correct: int | None = Field(
        ge=0,
        description="Index into `answers` of the true answer; null for items with none to pick "
        "(an approval episode, a consistency check on an open question).",
    )
    passage: str | None = Field(None, description="Source text debaters see; judges do not.")
    meta: dict[str, Any] = Field(default_factory=dict)


class Assignment(_Record):
    """Which answer each seat defends and the order answers are shown to the judge."""

    seats: dict[str, int] = Field(
        description="Role → index into `answers` that the role defends, e.g. debater_a: 0."
    )
    display_order: list[int] = Field(
        description="Indices into `answers` in the order the judge sees them (first = label A)."
    )
    swapped: bool = Field(False, description="True for the position-swapped copy of an item.")
    condition: str | None = Field(
        None,
        description="The protocol's condition for this transcript, e.g. consultancy's "
        "'consultant_correct' / 'consultant_incorrect', or 'open' when a model picks its side.",
    )


class Turn(_Record):
    """One call in a transcript: a debater's speech, a judge's reply, a human's entry."""

    index: int = Field(description="0-based position in the transcript.")
    role: str = Field(description="Seat that spoke: debater_a, debater_b, judge, ...")
    round: int | None = Field(None, description="1-based debate round; None outside rounds.")
    model: str = Field(description="Model string asked for, or 'human'.")
    resolved_model: str | None = Field(None, description="Model name the server reported.")
    content: str = ""
    prompt_id: str | None = None
    prompt_hash: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, description="Generation parameters.")
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    error: str | None = Field(None, description="Why the call failed; content is then empty.")
    retries: int = Field(0, description="Failed attempts before this result.")
    cached: bool = Field(False, description="Answered from the response cache, not the model.")
    meta: dict[str, Any] = Field(default_factory=dict, description="Protocol-specific extras.")
    created_at: datetime = Field(default_factory=utcnow)


class Verdict(_Record):
    """A judge's decision. Only status ``ok`` carries a choice; nothing else is ever scored."""

    status: VerdictStatus
    choice: int | None = Field(None, description="Index into `answers` the judge chose.")
    credences: list[float] | None = Field(
        None, description="Judge's probability per answer, in `answers` order."
    )
    raw: str = Field("", description="The judge's full reply, kept whatever the status.")
    reason: str | None = Field(None, description="Why a verdict is unparseable or an error.")
    role: str = "judge"
    turn_index: int | None = Field(None, description="The turn that produced this verdict.")
    metrics: dict[str, Any] | None = Field(
        None,
        description="Measurements a protocol computes beyond a choice, e.g. a consistency "
        "check's family, elicited probabilities and violation.",
    )


class RoleProvenance(_Record):
    """How one seat was configured: enough to call the same model the same way again."""

    model: str
    resolved_model: str | None = None
    base_url: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    prompt_id: str | None = None
    prompt_hash: str | None = None
    votes: int | None = Field(
        None, description="A judge seat's samples per verdict (majority vote); None: one."
    )


class Provenance(_Record):
    """Everything that produced a verdict."""

    roles: dict[str, RoleProvenance]
    options: dict[str, Any] = Field(default_factory=dict, description="Protocol options.")
    dataset: str | None = None
    seed: int | None = None
    playground_version: str
    packages: dict[str, str] = Field(default_factory=dict, description="Versions of key packages.")
    created_at: datetime = Field(default_factory=utcnow)


class RunOrigin(_Record):
    """The run a record belongs to, as the log holds it (the `runs` table row)."""

    name: str
    status: str = Field(description="running, done, interrupted or failed.")
    source: str = Field(description="cli, page, library or import.")
    tags: list[str] = Field(default_factory=list)
    dataset: str | None = None
    config: dict[str, Any] = Field(
        default_factory=dict, description="The resolved experiment and its provenance."
    )
    playground_version: str
    created_at: datetime
    finished_at: datetime | None = None


class TranscriptOrigin(_Record):
    """The transcript's stored state and the parts of its item a `Record` does not repeat."""

    status: str = Field(description="running, done or error.")
    error: str | None = None
    parent_id: str | None = None
    passage: str | None = None
    item_meta: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    finished_at: datetime | None = None


class Origin(_Record):
    """Where in the log a record comes from: filled by the store, so that an export imported
    into another store recreates the run, transcript and verdict rows exactly."""

    run: RunOrigin
    transcript: TranscriptOrigin
    verdict_created_at: datetime


class Record(_Record):
    """One exported line: a verdict with its transcript and provenance."""

    run_id: str
    transcript_id: str
    verdict_id: str
    item_id: str
    protocol: str
    question: str
    answers: list[str]
    correct: int | None
    assignment: Assignment
    turns: list[Turn]
    verdict: Verdict
    is_correct: bool | None = Field(description="None unless the verdict status is ok.")
    provenance: Provenance
    origin: Origin | None = Field(
        None,
        description="Run, transcript state and timestamps as stored (None if not from a store).",
    )


def plan_key(item_id: str, assignment: Assignment | dict[str, Any]) -> tuple[str, str]:
    """What identifies one transcript of a run across a resume: its item and its assignment."""
    if isinstance(assignment, Assignment):
        assignment = assignment.model_dump(mode="json")
    return item_id, json.dumps(assignment, sort_keys=True)


def score(verdict: Verdict, correct: int | None) -> bool | None:
    """A verdict is correct only if it parsed; an unparseable or failed verdict is never scored,
    and neither is one on an item without a true answer."""
    if verdict.status != "ok" or verdict.choice is None or correct is None:
        return None
    return verdict.choice == correct
