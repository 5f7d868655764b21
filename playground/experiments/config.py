"""Experiment files (TOML): what to run, on which data, with which model in each role.

Every key is checked; an unknown key or a bad value is refused with one line naming the key and
what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..protocols import PROTOCOLS, Protocol, get_protocol
from ..providers import GenerateConfig
from ..providers.limits import Limits


class ExperimentError(ValueError):
    """An experiment file or setting is wrong; the message is one line naming what."""


class RoleConfig(GenerateConfig):
    """A seat: the model string, where to reach it, its prompt, and its generation parameters."""

    model: str = Field(
        description="e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5, local/smollm2"
    )
    base_url: str | None = Field(None, description="OpenAI-compatible server or Anthropic proxy.")
    prompt: str | None = Field(
        None, description="Prompt template id; the protocol's default if unset."
    )
    init: dict[str, Any] = Field(
        default_factory=dict, description="Constructor arguments for a langchain: model."
    )
    votes: int = Field(
        1,
        ge=1,
        le=25,
        description="A judge seat only: N samples per verdict (seeds seed, seed+1, …), the "
        "verdict their majority and its credence the vote share (playground.protocols.votes).",
    )

    def generate_config(self) -> GenerateConfig:
        return GenerateConfig(**self.model_dump(include=set(GenerateConfig.model_fields)))


class Experiment(BaseModel):
    """One experiment: the top level of an experiment file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    protocol: str
    dataset: str = Field(
        description="builtin:<name>, <format>:<path> (quality, gpqa, mmlu, hf) or a JSONL path."
    )
    limit: int | None = Field(None, ge=1, description="Use only the first N items.")
    items: list[str] | None = Field(None, description="Use only these item ids.")
    seed: int = Field(0, description="Seeds assignments, generated datasets and sampling.")
    tags: list[str] = Field(default_factory=list)
    concurrency: int = Field(
        4,
        ge=1,
        le=512,
        description="Transcripts run at once (not calls: a debate round calls both debaters "
        "at once, so up to 2× this many calls; bound calls with max_calls).",
    )
    max_calls: int | None = Field(
        None,
        ge=1,
        description="Model calls in flight at once across the whole run (every "
        "seat and transcript), on top of any per-provider [limits].",
    )
    max_cost_usd: float | None = Field(
        None,
        gt=0,
        description="Stop the run (status budget, resumable) once its calls cost this much "
        "(USD, from the price table; calls of unpriced models are not counted).",
    )
    max_transcript_cost_usd: float | None = Field(
        None, gt=0, description="Stop a transcript once its calls cost this much (USD)."
    )
    max_tokens_total: int | None = Field(
        None, ge=1, description="Stop the run once its calls used this many tokens (in + out)."
    )
    cache: bool = Field(
        True, description="Answer a call from the response cache when an identical one was made."
    )
    batch: bool = Field(
        False,
        description="Send the calls through the providers' batch APIs (OpenAI Batch, Anthropic "
        "Message Batches), wave by wave, at the batch price.",
    )
    batch_poll_s: float = Field(30.0, gt=0, description="Seconds between batch status polls.")
    batch_deadline_s: float = Field(
        26 * 3600.0,
        gt=0,
        description="Seconds a batch may take before the run stops (interrupted, resumable).",
    )
    limits: dict[str, Limits] = Field(
        default_factory=dict,
        description="Per provider (openai, anthropic, ...) or per model string: calls in "
        "flight and starts per minute.",
    )
    options: dict[str, Any] = Field(default_factory=dict)
    roles: dict[str, RoleConfig] = Field(default_factory=dict)

    def protocol_class(self) -> type[Protocol]:
        return get_protocol(self.protocol)

    def protocol_options(self) -> BaseModel:
        cls = self.protocol_class()
        try:
            return cls.Options.model_validate(self.options)
        except ValidationError as exc:
            raise ExperimentError(_first_error(exc, cls.Options, prefix="options")) from None

    def resolved_roles(self) -> dict[str, RoleConfig]:
        """One config per seat. A shorthand table (``[roles.debater]``) applies to every seat
        whose name starts with ``debater_``; a seat's own table overrides it key by key."""
        seats = self.protocol_class().seats(self.protocol_options())
        shorthands = {r.rsplit("_", 1)[0] for r in seats if "_" in r} - set(seats)
        for name in self.roles:
            if name not in seats and name not in shorthands:
                allowed = ", ".join([*seats, *sorted(shorthands)])
                raise ExperimentError(
                    f"roles.{name}: unknown role for protocol {self.protocol!r} (allowed: {allowed})"
                )
        resolved: dict[str, RoleConfig] = {}
        for seat in seats:
            merged: dict[str, Any] = {}
            shorthand = seat.rsplit("_", 1)[0]
            if shorthand in self.roles:
                merged.update(self.roles[shorthand].model_dump(exclude_unset=True))
            if seat in self.roles:
                merged.update(self.roles[seat].model_dump(exclude_unset=True))
            if "model" not in merged:
                hint = f" or [roles.{shorthand}]" if shorthand in shorthands else ""
                raise ExperimentError(f"roles.{seat}: no model given (add [roles.{seat}]{hint})")
            resolved[seat] = RoleConfig(**merged)
        return resolved

    def check(self) -> Experiment:
        """Validate everything that depends on the protocol; returns self for chaining."""
        if self.protocol not in PROTOCOLS:
            raise ExperimentError(
                f"protocol: unknown protocol {self.protocol!r} (allowed: {', '.join(PROTOCOLS)})"
            )
        self.protocol_options()
        self.resolved_roles()
        return self


def _first_error(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    key = ".".join([prefix, *loc] if prefix else loc)
    if error["type"] == "extra_forbidden":
        fields = model.model_fields
        if loc and loc[0] == "roles" and len(loc) == 3:
            fields = RoleConfig.model_fields
        elif loc and loc[0] == "limits" and len(loc) == 3:
            fields = Limits.model_fields
        return f"{key}: unknown key (allowed: {', '.join(fields)})"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {error['msg'].lower()} (got {error.get('input')!r})"


def parse_experiment(data: dict[str, Any]) -> Experiment:
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(_first_error(exc, Experiment)) from None
    return experiment.check()


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; errors are `ExperimentError` prefixed by the path."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_experiment(data)
    except ExperimentError as exc:
        raise ExperimentError(f"{path}: {exc}") from None
