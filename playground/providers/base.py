"""The one provider interface: messages in, a completion (text, usage, latency) out, optionally streamed."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]

OnDelta = Callable[[str], None]
"""Called with each chunk of text as it streams in."""

VerdictMode = Literal["stated", "logprobs", "structured"]
"""How a judge seat's decision is read (`playground.protocols.verdict_modes`): its stated
``Answer:`` line, the token probabilities of the answer labels, or a schema-constrained reply."""

ReasoningEffort = Literal["minimal", "low", "medium", "high"]

TOP_LOGPROBS = 10
"""Alternatives asked for at each token in ``logprobs`` mode (OpenAI allows up to 20)."""


@dataclass(frozen=True, kw_only=True)
class Message:
    """One chat message sent to a model."""

    role: Role
    content: str


VERDICT_TOOL = "record_verdict"
"""The tool an Anthropic judge is forced to call in ``structured`` mode."""

VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "description": "The label of the answer you choose."},
        "confidence": {
            "type": "integer",
            "description": "How sure you are that it is correct, 50 to 100.",
        },
        "reasoning": {"type": "string", "description": "Why, briefly."},
    },
    "required": ["answer", "confidence", "reasoning"],
    "additionalProperties": False,
}
"""What a ``structured`` judge's reply is constrained to. ``answer`` is free text, not an
enum, so relabelled answers (1/2, X/Y) use the same schema; the reader checks the label."""


class GenerateConfig(BaseModel):
    """Generation parameters for one call. Unset (None) fields are left to the provider's default.

    These are exactly the parameters recorded with every turn, so a verdict can be reproduced.
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int | None = Field(None, ge=1, le=200_000, description="Cap on output tokens.")
    top_p: float | None = Field(None, gt=0, le=1, description="Nucleus sampling mass.")
    seed: int | None = Field(None, description="Sampling seed, where the provider supports one.")
    stop: list[str] | None = Field(None, description="Stop sequences.")
    verdict_mode: VerdictMode | None = Field(
        None,
        description="How a judge's verdict is read: stated (the default: its Answer:/"
        "Confidence: lines), logprobs (token probabilities of the answer labels) or "
        "structured (a reply constrained to {answer, confidence, reasoning}).",
    )
    reasoning_effort: ReasoningEffort | None = Field(
        None, description="OpenAI reasoning models: how hard the model thinks before replying."
    )
    thinking_budget: int | None = Field(
        None,
        ge=1024,
        le=128_000,
        description="Anthropic extended thinking: tokens the model may think for (at least "
        "1024, below max_tokens).",
    )

    def params(self) -> dict[str, Any]:
        """The parameters that were set, for provenance and for the SDK call."""
        return self.model_dump(exclude_none=True)


@dataclass(kw_only=True)
class Usage:
    """Token counts and cost of one call. None means the provider did not say (never guessed)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class TokenChoice(BaseModel):
    """One candidate token at a position, with its log-probability (natural log)."""

    token: str
    logprob: float


class TokenLogprob(TokenChoice):
    """A generated token, its log-probability and the top alternatives the API returned."""

    top: list[TokenChoice] = Field(default_factory=list)


@dataclass(kw_only=True)
class Completion:
    """What one model call produced."""

    text: str
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    resolved_model: str | None = None
    """The model name the server says answered (may differ from the alias asked for)."""
    finish_reason: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """How the call was made, for its turn's ``meta`` (``batch_id`` in a batch run)."""
    logprobs: list[TokenLogprob] | None = None
    """Per generated token, when the call asked for them (``verdict_mode = "logprobs"``)."""
    reasoning: str | None = None
    """The model's hidden reasoning, where the API returns it (Anthropic thinking blocks,
    ``reasoning_content`` of compatible servers). Recorded, never shown to other seats."""
    reasoning_tokens: int | None = None
    """Tokens spent on reasoning, where the API reports them (OpenAI reasoning models)."""


class ProviderError(Exception):
    """A call failed in a way worth reporting in one line (bad settings, refused request, ...)."""


class DeadlineExceeded(ProviderError, TimeoutError):
    """An attempt did not finish within its overall deadline. A `TimeoutError`, so it is
    retried like any timeout (each attempt has a deadline of its own)."""


class ReplyTooLong(ProviderError):
    """The reply passed its size cap; not retried (the same request would do it again)."""


DEFAULT_TIMEOUT = 300.0
"""Seconds one attempt may take in all, connection to last byte (``init = { timeout = … }``).
A server that trickles a byte at a time still ends here."""

DEFAULT_MAX_REPLY_CHARS = 400_000
"""Characters one reply may have (``init = { max_reply_chars = … }``): ~100k tokens, far past
any speech or verdict, and a bound on what a runaway server can make us hold."""


def check_limits(model: str, timeout: object, max_reply_chars: object) -> None:
    """Refuse, in one line, a ``timeout`` that is not a positive number of seconds or a
    ``max_reply_chars`` that is not a positive whole number."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ProviderError(
            f"{model}: timeout must be a positive number of seconds, not {timeout!r}"
        )
    if (
        isinstance(max_reply_chars, bool)
        or not isinstance(max_reply_chars, int)
        or max_reply_chars < 1
    ):
        raise ProviderError(
            f"{model}: max_reply_chars must be a positive whole number, not {max_reply_chars!r}"
        )


def _cause(error: BaseException, kind: type[ReplyTooLong]) -> ReplyTooLong | None:
    """``error`` or what it wraps (an SDK wraps transport errors in its own)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class Model(ABC):
    """A model reachable through one provider.

    Subclasses implement `_generate`; `generate` adds timing. Implementations must be safe to call
    concurrently from one event loop and must not keep state that is bound to a particular loop
    across calls (Streamlit runs each action in a fresh loop).
    """

    provider: str = ""
    """Prefix of the model string, e.g. ``openai``."""
    cacheable: bool = True
    """Whether the response cache may answer this model's calls (a person's replies: never)."""
    deadline: float | None = None
    """Seconds one attempt may take in all; None: no deadline (a person's seat waits on its
    own terms). Providers that call a model set it, `DEFAULT_TIMEOUT` unless configured."""
    max_reply_chars: int | None = None
    """Characters a reply may have before the call is cut off with `ReplyTooLong`."""
    verdict_modes: frozenset[str] = frozenset({"stated"})
    """The ``verdict_mode`` values this provider can serve (`check_config` refuses others)."""
    reasoning_keys: frozenset[str] = frozenset()
    """Which of ``reasoning_effort`` / ``thinking_budget`` this provider can honour."""

    def __init__(self, name: str, *, base_url: str | None = None) -> None:
        self.name = name
        """Model name after the provider prefix, e.g. ``gpt-4o-mini``."""
        self.base_url = base_url

    @property
    def model_string(self) -> str:
        """The string a user would write for this model, e.g. ``openai/gpt-4o-mini``."""
        return f"{self.provider}/{self.name}"

    @property
    def endpoint(self) -> str | None:
        """The URL it calls, exactly as configured (credentials and all: it only enters the
        response-cache key's hash, never the log); None: the provider's default."""
        return self.base_url or None

    @property
    def init(self) -> dict[str, Any]:
        """What the role's ``init`` made of it, for the response-cache key: empty when nothing
        tells two models of one name apart."""
        return {}

    async def generate(
        self,
        messages: Sequence[Message],
        config: GenerateConfig | None = None,
        *,
        on_delta: OnDelta | None = None,
    ) -> Completion:
        """Run one call. With ``on_delta`` the reply is streamed and each chunk passed to it.

        The call ends within ``deadline`` seconds (`DeadlineExceeded`) and a reply longer than
        ``max_reply_chars`` is cut off (`ReplyTooLong`), streamed or not, whatever the provider.
        """
        start = time.perf_counter()
        cap = self.max_reply_chars
        counted = 0

        def capped(text: str) -> None:
            nonlocal counted
            counted += len(text)
            if cap is not None and counted > cap:
                raise self._too_long(cap)
            assert on_delta is not None
            on_delta(text)

        try:
            async with asyncio.timeout(self.deadline) as budget:
                completion = await self._generate(
                    list(messages), config or GenerateConfig(), capped if on_delta else None
                )
        except TimeoutError:
            if budget.expired():
                raise DeadlineExceeded(
                    f"{self.model_string}: no complete reply within {self.deadline:g} s "
                    f"(the attempt's deadline; set it with init = {{ timeout = … }})"
                ) from None
            raise
        except Exception as error:
            too_long = _cause(error, ReplyTooLong)
            if too_long is not None and too_long is not error:
                raise ReplyTooLong(f"{self.model_string}: {too_long}") from None
            raise
        if cap is not None and len(completion.text) > cap:
            raise self._too_long(cap)
        completion.latency_ms = (time.perf_counter() - start) * 1000
        return completion

    def _too_long(self, cap: int) -> ReplyTooLong:
        return ReplyTooLong(
            f"{self.model_string}: the reply passed {cap} characters and was cut off "
            f"(raise the cap with init = {{ max_reply_chars = … }})"
        )

    @abstractmethod
    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        """Provider-specific call; stream into ``on_delta`` when it is given."""

    def check_config(self, config: GenerateConfig) -> None:
        """Raise `ProviderError` for parameters this model cannot honour, before any call is
        made: a parameter silently dropped would be recorded as if it had been applied.
        Subclasses that refuse more call this first."""
        mode = config.verdict_mode
        if mode is not None and mode not in self.verdict_modes:
            served = ", ".join(sorted(self.verdict_modes))
            raise ProviderError(
                f"{self.model_string} cannot give verdict_mode = {mode!r} "
                f"(this provider serves: {served})"
            )
        for key in ("reasoning_effort", "thinking_budget"):
            if getattr(config, key) is not None and key not in self.reasoning_keys:
                where = "OpenAI" if key == "reasoning_effort" else "Anthropic"
                raise ProviderError(f"{self.model_string} does not take {key} (an {where} setting)")

    def is_retryable(self, error: BaseException) -> bool:
        """Whether a failed call is worth retrying (rate limit, server error, timeout, dropped link)."""
        return False

    def retry_after(self, error: BaseException) -> float | None:
        """Seconds the server asked us to wait before retrying, if it said."""
        return None

    def describe(self) -> dict[str, Any]:
        """Provenance of this model: never contains a secret."""
        return {"model": self.model_string, "provider": self.provider, "base_url": self.base_url}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model_string}>"
