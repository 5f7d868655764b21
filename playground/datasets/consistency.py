"""The consistency-check data format: one check instance per JSONL line.

Every line has ``id``, ``family`` and optional ``truth`` (whether statement ``a`` is true;
leave it out when unknown) and ``topic``. Per family (a ``…?`` key may be left out when the
run's ``variant_writer`` seat is to write it):

- ``negation``: ``a``, ``not_a?``
- ``paraphrase``: ``a``, ``paraphrases?`` (a list)
- ``conjunction``: ``a``, ``b``, ``a_and_b?``, ``a_or_b?``
- ``conditional``: ``a``, ``b``, ``b_given_a?`` (a statement whose probability is P(b | a),
  e.g. "Suppose that <a>. Then <b>."), ``a_and_b?``
- ``monotonicity``: ``template`` (a statement with ``{x}`` once), ``values`` (≥ 3 increasing
  numbers), ``direction`` (``increasing`` if the statement gets more likely as x grows,
  ``decreasing`` otherwise), ``unit?``
- ``but_not``: ``a``, ``b``, ``b_not_a`` (true exactly when b is true and a is not),
  ``a_or_b?``
- ``implication``: ``a``, ``b`` (a consequence of a: true whenever a is)
- ``disjoint_spanning``: ``options`` (≥ 2 statements of which exactly one is true)
- ``expected_evidence``: ``a``, ``e`` (the evidence), ``a_given_e``, ``a_given_not_e``
  (statements whose probabilities are P(a | e) and P(a | not e))
- ``cond_cond``: ``a``, ``b_given_a``, ``c_given_a_and_b``, ``a_and_b_and_c``
- ``judge``: ``question``, ``answers`` (two), ``correct?``, ``debate`` (speeches in order,
  each ``{"answer": i, "round": r, "text": ...}``: the debater defending answer i),
  ``paraphrase?`` (of the question), ``passage?``, ``display_order?`` (as the judge saw the
  answers when logged, default [0, 1]), ``source_run?``, ``source_transcript?``.

A line becomes an `Item`: the question is ``a`` (the template, the judge question, the options
joined with " / "), answers
are ["false", "true"] with ``correct`` = truth (null when unknown), or the debate's answers;
``meta.check`` holds the line itself, which the ``consistency`` protocol reads back.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ..records import Item
from .errors import DatasetError

Family = Literal[
    "negation", "paraphrase", "conjunction", "conditional", "monotonicity", "but_not",
    "implication", "disjoint_spanning", "expected_evidence", "cond_cond", "judge",
]  # fmt: skip
"""The check families: the one list the protocol, its options and the Consistency page use."""
FAMILIES: tuple[Family, ...] = get_args(Family)
Text = Annotated[str, Field(min_length=1)]


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Text
    truth: bool | None = Field(None, description="Whether statement a is true; None if unknown.")
    topic: str | None = None


class Negation(_Check):
    family: Literal["negation"]
    a: Text
    not_a: Text | None = None


class Paraphrase(_Check):
    family: Literal["paraphrase"]
    a: Text
    paraphrases: list[Text] | None = Field(None, min_length=1)


class Conjunction(_Check):
    family: Literal["conjunction"]
    a: Text
    b: Text
    a_and_b: Text | None = None
    a_or_b: Text | None = None


class Conditional(_Check):
    family: Literal["conditional"]
    a: Text
    b: Text
    b_given_a: Text | None = None
    a_and_b: Text | None = None


class ButNot(_Check):
    family: Literal["but_not"]
    a: Text
    b: Text
    b_not_a: Text
    a_or_b: Text | None = None


class Implication(_Check):
    family: Literal["implication"]
    a: Text
    b: Text


class DisjointSpanning(_Check):
    family: Literal["disjoint_spanning"]
    options: list[Text] = Field(min_length=2)

    @property
    def a(self) -> str:
        """The item question: the options joined."""
        return " / ".join(self.options)


class ExpectedEvidence(_Check):
    family: Literal["expected_evidence"]
    a: Text
    e: Text
    a_given_e: Text
    a_given_not_e: Text


class CondCond(_Check):
    family: Literal["cond_cond"]
    a: Text
    b_given_a: Text
    c_given_a_and_b: Text
    a_and_b_and_c: Text


class Monotonicity(_Check):
    family: Literal["monotonicity"]
    template: Text
    values: list[float] = Field(min_length=3)
    direction: Literal["increasing", "decreasing"]
    unit: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Monotonicity:
        if self.template.count("{x}") != 1:
            raise ValueError("field 'template': must contain {x} exactly once")
        if any(b <= a for a, b in zip(self.values, self.values[1:], strict=False)):
            raise ValueError("field 'values': must be strictly increasing")
        return self

    def statement(self, value: float) -> str:
        shown = f"{value:g}"
        return self.template.replace("{x}", shown)


class Speech(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: int = Field(ge=0, le=1, description="The answer this debater defends.")
    round: int | None = Field(None, ge=1)
    text: Text


class JudgeCheck(_Check):
    family: Literal["judge"]
    question: Text
    answers: list[Text] = Field(min_length=2, max_length=2)
    correct: int | None = Field(None, ge=0, le=1)
    debate: list[Speech] = Field(min_length=1)
    paraphrase: Text | None = None
    passage: str | None = None
    display_order: list[int] = Field(default_factory=lambda: [0, 1])
    source_run: str | None = None
    source_transcript: str | None = None

    @model_validator(mode="after")
    def _order(self) -> JudgeCheck:
        if sorted(self.display_order) != [0, 1]:
            raise ValueError("field 'display_order': must be [0, 1] or [1, 0]")
        return self


StatementCheck = (
    Negation | Paraphrase | Conjunction | Conditional | Monotonicity | ButNot | Implication
    | DisjointSpanning | ExpectedEvidence | CondCond
)  # fmt: skip
"""Every family whose check elicits probabilities of statements (all but ``judge``)."""
Check = Annotated[StatementCheck | JudgeCheck, Field(discriminator="family")]
CHECK = TypeAdapter(Check)


def check_of(item: Item) -> StatementCheck | JudgeCheck:
    """The check instance an item carries (``meta.check``)."""
    try:
        return CHECK.validate_python(item.meta["check"])
    except KeyError:
        raise ValueError(f"item {item.id!r} is not a consistency check (no meta.check)") from None


def to_item(check: Any) -> Item:
    """The dataset item of a check instance (see the module docstring)."""
    line = check.model_dump(mode="json", exclude_none=True)
    meta: dict[str, Any] = {"check": line}
    if isinstance(check, JudgeCheck):
        return Item(
            id=check.id,
            question=check.question,
            answers=check.answers,
            correct=check.correct,
            passage=check.passage,
            meta=meta,
        )
    question = check.template if isinstance(check, Monotonicity) else check.a
    correct = None if check.truth is None else int(check.truth)
    return Item(
        id=check.id, question=question, answers=["false", "true"], correct=correct, meta=meta
    )


def is_consistency_line(text: str) -> bool:
    """Whether a JSONL line is in this format (it has a ``family`` key)."""
    try:
        obj = json.loads(text)
    except ValueError:
        return False
    return isinstance(obj, dict) and "family" in obj


def parse_consistency(data: bytes, source: str) -> list[Item]:
    """Items from consistency-check JSONL; errors are one line naming file, line and field."""
    items: list[Item] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(data.splitlines(), start=1):
        where = f"{source} line {number}"
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(f"{where}: not valid UTF-8 (byte {exc.start + 1})") from None
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise DatasetError(f"{where}: expected a JSON object")
        family = obj.get("family")
        if family not in FAMILIES:
            raise DatasetError(
                f"{where}: field 'family': {family!r} is not one of {', '.join(FAMILIES)}"
            )
        try:
            check = CHECK.validate_python(obj)
        except ValidationError as exc:
            raise DatasetError(f"{where}: {_describe(exc)}") from None
        if check.id in seen:
            raise DatasetError(
                f"{where}: duplicate id {check.id!r} (first on line {seen[check.id]})"
            )
        seen[check.id] = number
        items.append(to_item(check))
    if not items:
        raise DatasetError(f"{source}: no check instances")
    return items


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = [str(p) for p in error["loc"][1:]]  # drop the union tag
    field = ".".join(loc)
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"field {field!r}: unknown key"
    if error["type"] == "missing":
        return f"field {field!r}: required key is missing"
    return f"field {field!r}: {message.lower()}"
