"""The one provider interface: messages in, a completion (text, usage, latency) out, optionally streamed."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]

OnDelta = Callable[[str], None]
"""Called with each chunk of text as it streams in."""


@dataclass(frozen=True, kw_only=True)
class Message:
    """One chat message sent to a model."""

    role: Role
    content: str


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

    def params(self) -> dict[str, Any]:
        """The parameters that were set, for provenance and for the SDK call."""
        return self.model_dump(exclude_none=True)


@dataclass(kw_only=True)
class Usage:
    """Token counts and cost of one call. None means the provider did not say (never guessed)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


@dataclass(kw_only=True)
class Completion:
    """What one model call produced."""

    text: str
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    resolved_model: str | None = None
    """The model name the server says answered (may differ from the alias asked for)."""
    finish_reason: str | None = None


class ProviderError(Exception):
    """A call failed in a way worth reporting in one line (bad settings, refused request, ...)."""


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

    def __init__(self, name: str, *, base_url: str | None = None) -> None:
        self.name = name
        """Model name after the provider prefix, e.g. ``gpt-4o-mini``."""
        self.base_url = base_url

    @property
    def model_string(self) -> str:
        """The string a user would write for this model, e.g. ``openai/gpt-4o-mini``."""
        return f"{self.provider}/{self.name}"

    async def generate(
        self,
        messages: Sequence[Message],
        config: GenerateConfig | None = None,
        *,
        on_delta: OnDelta | None = None,
    ) -> Completion:
        """Run one call. With ``on_delta`` the reply is streamed and each chunk passed to it."""
        start = time.perf_counter()
        completion = await self._generate(list(messages), config or GenerateConfig(), on_delta)
        completion.latency_ms = (time.perf_counter() - start) * 1000
        return completion

    @abstractmethod
    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        """Provider-specific call; stream into ``on_delta`` when it is given."""

    def check_config(self, config: GenerateConfig) -> None:
        """Raise `ProviderError` for parameters this model cannot honour, before any call is
        made: a parameter silently dropped would be recorded as if it had been applied."""
        return None

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
