"""A model whose replies are scripted in Python: for unit tests of protocols and pages.

Like pydantic-ai's FunctionModel: give a list of replies (used in turn) or a function of the
messages. Register one under a name to use it as ``scripted/<name>`` in an experiment file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from .base import Completion, GenerateConfig, Message, Model, OnDelta, ProviderError, Usage

Script = Callable[[list[Message], GenerateConfig], str]

_SCRIPTS: dict[str, Callable[[], ScriptedModel]] = {}


class ScriptedModel(Model):
    """Replies from a list (in turn, the last one repeated) or from a function of the messages.

    A reply that is an ``Exception`` instance is raised instead of returned, to script failures.
    Usage counts whitespace-separated words, so token totals in tests are predictable.
    """

    provider = "scripted"

    def __init__(
        self,
        replies: Sequence[str | BaseException] | Script,
        *,
        name: str = "test",
        chunk_size: int = 8,
        delay: float = 0.0,
    ) -> None:
        super().__init__(name)
        self._replies = replies
        self._chunk_size = chunk_size
        self._delay = delay
        self.calls: list[list[Message]] = []
        """Every message list this model was called with, in order."""
        self.in_flight = 0
        """Calls running now."""
        self.peak_in_flight = 0
        """The most calls that were running at once: shows concurrency without timing it."""

    def _next_reply(self, messages: list[Message], config: GenerateConfig) -> str:
        if callable(self._replies):
            return self._replies(messages, config)
        index = min(len(self.calls) - 1, len(self._replies) - 1)
        reply = self._replies[index]
        if isinstance(reply, BaseException):
            raise reply
        return reply

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        self.calls.append(messages)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self._delay:
                await asyncio.sleep(self._delay)
            text = self._next_reply(messages, config)
        finally:
            self.in_flight -= 1
        if config.max_tokens is not None:
            text = " ".join(text.split(" ")[: config.max_tokens])
        if on_delta:
            for start in range(0, len(text), self._chunk_size):
                on_delta(text[start : start + self._chunk_size])
                await asyncio.sleep(0)
        prompt_words = sum(len(m.content.split()) for m in messages)
        usage = Usage(input_tokens=prompt_words, output_tokens=len(text.split()), cost_usd=0.0)
        return Completion(text=text, usage=usage, resolved_model=self.name, finish_reason="stop")


def register_script(name: str, build: Callable[[], ScriptedModel]) -> None:
    """Make ``scripted/<name>`` build a fresh model with ``build()``."""
    _SCRIPTS[name] = build


def create(name: str, *, base_url: str | None = None, **_: Any) -> Model:
    try:
        return _SCRIPTS[name]()
    except KeyError:
        raise ProviderError(
            f"scripted/{name}: no script registered under that name "
            f"(registered: {', '.join(sorted(_SCRIPTS)) or 'none'})"
        ) from None
