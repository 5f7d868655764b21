"""``anthropic/<model>``: Claude through the Messages API (or a proxy of it at base_url)."""

from __future__ import annotations

import json
from typing import Any

import anthropic

from . import remote
from .base import (
    VERDICT_SCHEMA,
    VERDICT_TOOL,
    Completion,
    GenerateConfig,
    Message,
    OnDelta,
    ProviderError,
    Usage,
)

DEFAULT_MAX_TOKENS = 1024
"""The API requires max_tokens; used when the configuration leaves it unset."""

RETRYABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})
"""Error types that, arriving as an event inside a 200 stream, mean "try again"."""

UNSUPPORTED = ("temperature", "top_p")
"""API version 2026-10-21, which anthropic SDK 2.x speaks, refuses sampling parameters."""


class AnthropicModel(remote.RemoteModel):
    """A Claude model. System messages become the ``system`` field; ``seed`` is not sent."""

    provider = "anthropic"
    client_class = anthropic.AsyncAnthropic
    sdk_version = anthropic.__version__
    verdict_modes = frozenset({"stated", "structured"})
    reasoning_keys = frozenset({"thinking_budget"})

    def check_config(self, config: GenerateConfig) -> None:
        if config.verdict_mode == "logprobs":
            raise ProviderError(
                f"{self.model_string}: verdict_mode = 'logprobs' needs token log-probabilities, "
                f"which the Anthropic API does not return; use stated or structured"
            )
        super().check_config(config)
        budget = config.thinking_budget
        if budget is not None and config.verdict_mode == "structured":
            raise ProviderError(
                f"{self.model_string}: thinking_budget cannot be used with verdict_mode = "
                f"'structured' (the API refuses thinking when a tool call is forced)"
            )
        if budget is not None and budget >= (config.max_tokens or DEFAULT_MAX_TOKENS):
            raise ProviderError(
                f"{self.model_string}: max_tokens ({config.max_tokens or DEFAULT_MAX_TOKENS}) "
                f"must be larger than thinking_budget ({budget})"
            )
        refused = [name for name in UNSUPPORTED if getattr(config, name) is not None]
        if refused:
            raise ProviderError(
                f"{self.model_string}: the Anthropic API no longer accepts "
                f"{' or '.join(refused)}; remove {'them' if len(refused) > 1 else 'it'} "
                f"from this role"
            )

    def _request(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        self.check_config(config)
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        request: dict[str, Any] = {
            "model": self.name,
            "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [
                {"role": m.role, "content": m.content} for m in messages if m.role != "system"
            ],
        }
        if system:
            request["system"] = system
        if config.stop:
            request["stop_sequences"] = config.stop
        if config.verdict_mode == "structured":
            request["tools"] = [
                {
                    "name": VERDICT_TOOL,
                    "description": "Record your verdict on the debate.",
                    "input_schema": VERDICT_SCHEMA,
                }
            ]
            request["tool_choice"] = {"type": "tool", "name": VERDICT_TOOL}
        if config.thinking_budget is not None:
            request["thinking"] = {"type": "enabled", "budget_tokens": config.thinking_budget}
        return request

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        client = self._client()
        request = self._request(messages, config)
        if on_delta is None:
            message = await client.messages.create(**request)
        else:
            async with client.messages.stream(**request) as stream:
                async for text in stream.text_stream:
                    on_delta(text)
                message = await stream.get_final_message()
            if message.stop_reason is None:
                # Streams always end with message_delta (stop_reason) then message_stop.
                raise remote.StreamCut(f"{self.model_string}: the stream ended early")
        if not hasattr(message, "content"):  # a non-JSON body comes back as text
            raise remote.MalformedResponse(f"{self.model_string}: the server sent no message")
        text = "".join(block.text for block in message.content if block.type == "text")
        verdicts = [
            b.input for b in message.content if b.type == "tool_use" and b.name == VERDICT_TOOL
        ]
        if verdicts:  # forced tool use: the tool's input is the reply, kept as JSON text
            text = json.dumps(verdicts[0], ensure_ascii=False)
            if on_delta is not None:
                on_delta(text)
        thinking = [b.thinking for b in message.content if b.type == "thinking"]
        resolved = getattr(message, "model", None) or None
        return Completion(
            text=text,
            usage=self._usage(getattr(message, "usage", None), resolved),
            resolved_model=resolved,
            finish_reason=message.stop_reason,
            reasoning="\n\n".join(thinking) or None,
        )

    def _usage(self, usage: Any, resolved: str | None) -> Usage:
        if usage is None:
            return Usage()
        cache_write = getattr(usage, "cache_creation_input_tokens", None) or 0
        cache_read = getattr(usage, "cache_read_input_tokens", None) or 0
        # Anthropic counts cached prompt tokens apart from input_tokens and bills them at
        # other rates: report all prompt tokens, and leave the cost unknown if any were cached.
        input_tokens = usage.input_tokens + cache_write + cache_read
        cost = None
        if not cache_write and not cache_read:
            cost = remote.cost_usd(
                resolved or self.name, input_tokens, usage.output_tokens, base_url=self.base_url
            )
        return Usage(input_tokens=input_tokens, output_tokens=usage.output_tokens, cost_usd=cost)

    def is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, anthropic.APIStatusError) and error.status_code < 400:
            return error.type in RETRYABLE_TYPES  # an error event inside a 200 stream
        by_status = remote.retryable_status(error)
        if by_status is not None:
            return by_status
        if isinstance(error, anthropic.APIConnectionError | anthropic.APIResponseValidationError):
            return True  # APITimeoutError is an APIConnectionError
        return remote.is_transient(error)


create = AnthropicModel.create
