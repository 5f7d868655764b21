"""How a judge seat's decision is read (``verdict_mode``): from its stated ``Answer:`` line, from
the token log-probabilities of the answer labels, or from a schema-constrained JSON reply.

- ``stated``: `playground.protocols.verdicts.parse_verdict` (the default).
- ``logprobs``: the judge is asked (OpenAI) or forced (the embedded model) to begin
  ``Answer:``. At the first non-blank token after ``Answer:`` the top-k alternatives are read:
  tokens that differ from a label only by surrounding spaces or case (``" A"``, ``"a"``) are
  merged by summing their probabilities; a label absent from the top-k gets `LOGPROB_FLOOR`,
  named in the verdict's reason. The label probabilities are normalised to credences and the
  most probable label is the choice; a tie, no ``Answer:``, or no label in the top-k at all is
  ``unparseable``. The text after the label plays no part.
- ``structured``: the reply must be a JSON object ``{answer, confidence, reasoning}``
  (`VERDICT_SCHEMA`); ``answer`` must be one of the shown labels. Anything else — not JSON, a
  missing key, an unknown label — is ``unparseable``, never read as a choice. ``confidence``
  follows the stated rules (50–100 or 0.5–1; out of range keeps the choice, no credences).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..providers import Completion, Message
from ..providers.base import TokenLogprob, VerdictMode
from ..records import Verdict
from .verdicts import parse_verdict

LOGPROB_FLOOR = 1e-4
"""Probability given to an answer label missing from the top-k at the answer position (its
true probability is somewhere below the k-th alternative's); noted in the verdict's reason."""

_ANSWER = re.compile(r"answer\s*[:：]", re.IGNORECASE)


class JudgeSignals(BaseModel):
    """What a call returned besides its text, kept on its turn's ``meta``: the raw generated
    tokens with their top alternatives (``logprobs`` mode) and hidden reasoning, where the API
    returns it. Never part of what other seats are shown."""

    logprobs: list[TokenLogprob] | None = Field(
        None, description="Generated tokens, each with its log-probability and top-k."
    )
    reasoning: str | None = Field(None, description="The model's hidden reasoning text.")
    reasoning_tokens: int | None = Field(None, description="Tokens spent reasoning.")

    @classmethod
    def of(cls, completion: Completion) -> JudgeSignals:
        return cls(
            logprobs=completion.logprobs,
            reasoning=completion.reasoning,
            reasoning_tokens=completion.reasoning_tokens,
        )

    def meta(self) -> dict[str, Any]:
        """The turn meta keys (only those the call returned)."""
        return self.model_dump(exclude_none=True)


class StructuredVerdict(BaseModel):
    """A ``structured`` judge's reply, as `playground.providers.base.VERDICT_SCHEMA` asks."""

    answer: str
    confidence: float
    reasoning: str


def instruction(mode: VerdictMode, labels: Sequence[str]) -> str | None:
    """What is added to the judge's last message so its reply can be read in ``mode``."""
    choices = " or ".join(labels)
    if mode == "logprobs":
        return f"Begin your reply with 'Answer:' followed by the label you choose ({choices})."
    if mode == "structured":
        return (
            "Reply with a JSON object with the keys answer (the label you choose: "
            f"{choices}), confidence (50 to 100) and reasoning (why, briefly)."
        )
    return None


def prepare(messages: list[Message], mode: VerdictMode, labels: Sequence[str]) -> list[Message]:
    """The judge's messages for ``mode``: unchanged when stated, else with `instruction`
    appended to the last user message."""
    extra = instruction(mode, labels)
    if extra is None or not messages:
        return messages
    last = messages[-1]
    return [*messages[:-1], Message(role=last.role, content=f"{last.content}\n\n{extra}")]


def read_verdict(
    mode: VerdictMode,
    text: str,
    meta: dict[str, Any],
    shown: Sequence[int],
    n_answers: int,
    labels: Sequence[str],
) -> Verdict:
    """A judge's verdict read in ``mode`` from its reply ``text`` and its turn's ``meta``
    (where ``logprobs`` are)."""
    labels = list(labels[: len(shown)])
    if mode == "logprobs":
        raw = meta.get("logprobs")
        tokens = [TokenLogprob.model_validate(t) for t in raw] if raw is not None else None
        return read_logprobs(text, tokens, shown, n_answers, labels)
    if mode == "structured":
        return read_structured(text, shown, n_answers, labels)
    return parse_verdict(text, shown, n_answers, labels)


def _unparseable(text: str, reason: str) -> Verdict:
    return Verdict(status="unparseable", raw=text, reason=reason)


def _answer_token(text: str, tokens: list[TokenLogprob]) -> TokenLogprob | str:
    """The token at the answer position, or why there is none."""
    joined = "".join(t.token for t in tokens)
    start = len(text) - len(joined)  # a prefix that was forced, not generated, has no tokens
    if start < 0 or text[start:] != joined:
        return "the token log-probabilities do not match the reply"
    match = _ANSWER.search(text)
    if match is None:
        return "no 'Answer:' in the reply"
    offset = start
    for token in tokens:
        if offset >= match.end() and token.token.strip():
            return token
        offset += len(token.token)
    return "no token after 'Answer:'"


def read_logprobs(
    text: str,
    tokens: list[TokenLogprob] | None,
    shown: Sequence[int],
    n_answers: int,
    labels: Sequence[str],
) -> Verdict:
    """See the module docstring (``logprobs``)."""
    if tokens is None:
        return _unparseable(text, "the server returned no token log-probabilities")
    found = _answer_token(text, tokens)
    if isinstance(found, str):
        return _unparseable(text, found)
    alternatives = {a.token: a.logprob for a in found.top}
    alternatives.setdefault(found.token, found.logprob)
    mass = dict.fromkeys(labels, 0.0)
    for token, logprob in alternatives.items():
        key = token.strip().upper()
        if key in mass:
            mass[key] += math.exp(logprob)
    floored = [label for label, p in mass.items() if p == 0.0]
    if len(floored) == len(labels):
        return _unparseable(
            text, f"no answer label among the top {len(found.top)} tokens after 'Answer:'"
        )
    for label in floored:
        mass[label] = LOGPROB_FLOOR
    total = sum(mass.values())
    shares = {label: p / total for label, p in mass.items()}
    best = max(shares.values())
    leaders = [label for label, share in shares.items() if share == best]
    if len(leaders) > 1:
        return _unparseable(text, f"labels {', '.join(leaders)} are equally probable")
    credences = [0.0] * n_answers
    for label, share in shares.items():
        credences[shown[labels.index(label)]] = share
    reason = None
    if floored:
        reason = (
            f"label {', '.join(floored)} not among the top {len(found.top)} tokens: "
            f"floored at {LOGPROB_FLOOR:g}"
        )
    return Verdict(
        status="ok",
        choice=shown[labels.index(leaders[0])],
        credences=credences,
        raw=text,
        reason=reason,
    )


def read_structured(
    text: str, shown: Sequence[int], n_answers: int, labels: Sequence[str]
) -> Verdict:
    """See the module docstring (``structured``)."""
    try:
        reply = StructuredVerdict.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as error:
        first = error.errors()[0] if isinstance(error, ValidationError) else None
        what = (
            f"{'.'.join(map(str, first['loc'])) or 'reply'}: {first['msg']}"
            if first
            else "not JSON"
        )
        return _unparseable(text, f"the reply does not fit the verdict schema ({what})")
    label = reply.answer.strip().upper()
    if label not in labels:
        return _unparseable(text, f"answer {reply.answer[:20]!r} is not one of {', '.join(labels)}")
    stated = parse_verdict(
        f"Answer: {label}\nConfidence: {reply.confidence:g}", shown, n_answers, labels
    )
    return stated.model_copy(update={"raw": text})
