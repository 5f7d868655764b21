"""A study's specification: what people judge or rate, how many times, who, and what they see.

Written as TOML (`load_spec`) or built by a page; validated here, checked against the store
when the study is created (`playground.studies.create`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Shown = Literal["hidden", "shown"]


class StudyError(ValueError):
    """Bad study input or a request the study cannot serve; the message is one line naming
    what is wrong."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Blinding(_Spec):
    """What a person sees beyond the question, the answers and the speeches. The defaults are a
    careful study's: a judge of a debate does not see the passage (else it is not a test of the
    debate), the true answer, which model argued, or what other people decided."""

    passage: Shown = Field("hidden", description="The source text the debaters read.")
    true_answer: Shown = Field("hidden", description="Which answer is correct.")
    model_names: Shown = Field("hidden", description="The models behind each seat.")
    other_verdicts: Shown = Field(
        "hidden", description="Verdicts other people already gave on the same task."
    )


class GoldTask(_Spec):
    """A transcript with a known answer, mixed in as an attention check: every person gets each
    gold task once, on top of the k judgments of ordinary tasks."""

    transcript: str = Field(description="Id of the logged transcript.")
    answer: int | None = Field(
        None, ge=0, description="Index of the known answer; default the item's true answer."
    )


class StudySpec(_Spec):
    """A study. ``kind = "judging"``: each transcript of the runs (or the listed transcripts) is
    a task judged like the protocol's judge judges it. ``kind = "approval"``: each step of each
    logged approval-lab episode is a task, rated 0–1 with a one-sentence rationale, as a model
    overseer sees the step."""

    name: str = Field(min_length=1)
    kind: Literal["judging", "approval"] = "judging"
    runs: list[str] = Field(default_factory=list, description="Run ids whose transcripts to use.")
    transcripts: list[str] = Field(
        default_factory=list, description="Transcript ids to use, besides the runs'."
    )
    k: int = Field(3, ge=1, description="Judgments wanted per task.")
    people: list[str] = Field(
        default_factory=list,
        description="Emails of who may take the study; empty: anyone the app lets in.",
    )
    blinding: Blinding = Field(default_factory=Blinding)
    stepped: bool = Field(
        False,
        description="Reveal speeches one at a time with a credence after each; the final "
        "verdict last (judging only).",
    )
    time_limit_s: float | None = Field(None, gt=0, description="Time allowed per task.")
    lease_s: float = Field(
        900.0, gt=0, description="An unfinished task returns to the pool after this long."
    )
    gold: list[GoldTask] = Field(default_factory=list)
    seed: int = Field(0, description="Orders each person's tasks.")
    description: str = ""

    @field_validator("people")
    @classmethod
    def _emails(cls, people: list[str]) -> list[str]:
        cleaned = [p.strip().lower() for p in people]
        if any(not p for p in cleaned):
            raise ValueError("an empty email in people")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a person is listed twice in people")
        return cleaned


def load_spec(path: str | Path) -> StudySpec:
    """Read a study TOML file; any problem is a `StudyError` naming the file and the field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(f"{path}: no such study file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise StudyError(f"{path}: not a readable TOML file ({error})") from None
    return parse_spec(data, where=str(path))


def parse_spec(data: object, where: str = "study") -> StudySpec:
    """Validate a study spec given as a mapping (a page's form, a parsed TOML file)."""
    try:
        return StudySpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "study"
        raise StudyError(f"{where}: {field}: {first['msg']}") from None
