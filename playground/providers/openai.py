"""``openai/<model>``: the OpenAI API, or any server that speaks its chat.completions dialect
(Ollama, vLLM, llama.cpp server) when a base_url is given."""

from __future__ import annotations

from typing import Any

import openai

from . import remote
from .base import (
    TOP_LOGPROBS,
    VERDICT_SCHEMA,
    Completion,
    GenerateConfig,
    Message,
    OnDelta,
    TokenChoice,
    TokenLogprob,
    Usage,
)
from .catalog import OPENAI


class OpenAIModel(remote.RemoteModel):
    """A chat model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

    provider = "openai"
    client_class = openai.AsyncOpenAI
    sdk_version = openai.__version__
    verdict_modes = frozenset({"stated", "logprobs", "structured"})
    reasoning_keys = frozenset({"reasoning_effort"})

    def _request(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        for field in ("temperature", "top_p", "seed", "stop"):
            value = getattr(config, field)
            if value is not None:
                request[field] = value
        if config.max_tokens is not None:
            # OpenAI's own API refuses max_tokens for reasoning models and wants
            # max_completion_tokens; compatible servers mostly know only max_tokens.
            field = "max_completion_tokens" if self._is_openai_api() else "max_tokens"
            request[field] = config.max_tokens
        if config.verdict_mode == "logprobs":
            request["logprobs"] = True
            request["top_logprobs"] = TOP_LOGPROBS
        elif config.verdict_mode == "structured":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "verdict", "strict": True, "schema": VERDICT_SCHEMA},
            }
        if config.reasoning_effort is not None:
            request["reasoning_effort"] = config.reasoning_effort
        return request

    def _is_openai_api(self) -> bool:
        return not self.base_url or OPENAI.is_vendor_api(self.base_url)

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        client = self._client()
        request = self._request(messages, config)
        if on_delta is None:
            response = await client.chat.completions.create(**request)
            return self._from_response(response)

        stream = await client.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        parts: list[str] = []
        tokens: list[TokenLogprob] = []
        thoughts: list[str] = []
        usage = None
        resolved = None
        finish = None
        async with stream:  # closes the connection if we stop early or fail
            async for chunk in stream:
                resolved = chunk.model or resolved
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    if choice.index != 0:
                        continue
                    if choice.delta is not None and choice.delta.content:
                        parts.append(choice.delta.content)
                        on_delta(choice.delta.content)
                    if choice.delta is not None:
                        thoughts.append(getattr(choice.delta, "reasoning_content", None) or "")
                    tokens += _logprobs(choice.logprobs) or []
                    finish = choice.finish_reason or finish
        if finish is None:
            # Compatible servers all end a choice with a finish_reason; without one the stream
            # was cut short (a proxy closing cleanly), and the text is incomplete.
            raise remote.StreamCut(f"{self.model_string}: the stream ended early")
        return Completion(
            text="".join(parts),
            usage=self._usage(usage, resolved),
            resolved_model=resolved,
            finish_reason=finish,
            logprobs=tokens if request.get("logprobs") else None,
            reasoning="".join(thoughts) or None,
            reasoning_tokens=_reasoning_tokens(usage),
        )

    def _from_response(self, response: Any) -> Completion:
        # With a non-JSON content type the SDK hands back the raw text instead of raising.
        choices = getattr(response, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise remote.MalformedResponse(f"{self.model_string}: the server sent no completion")
        choice = choices[0]
        resolved = getattr(response, "model", None) or None
        usage = getattr(response, "usage", None)
        return Completion(
            text=choice.message.content or "",
            usage=self._usage(usage, resolved),
            resolved_model=resolved,
            finish_reason=choice.finish_reason,
            logprobs=_logprobs(getattr(choice, "logprobs", None)),
            # compatible servers (vLLM, DeepSeek) return a reasoning model's thoughts here
            reasoning=getattr(choice.message, "reasoning_content", None) or None,
            reasoning_tokens=_reasoning_tokens(usage),
        )

    def _usage(self, usage: Any, resolved: str | None) -> Usage:
        if usage is None:
            return Usage()  # the server did not say; never guess
        details = getattr(usage, "prompt_tokens_details", None)
        cached = getattr(details, "cached_tokens", None) or 0
        return Usage(
            input_tokens=usage.prompt_tokens,
            output_tokens=usage.completion_tokens,
            cost_usd=remote.cost_usd(
                resolved or self.name,
                usage.prompt_tokens,
                usage.completion_tokens,
                base_url=self.base_url,
                cached_input_tokens=cached,
            ),
        )

    def is_retryable(self, error: BaseException) -> bool:
        by_status = remote.retryable_status(error)
        if by_status is not None:
            return by_status
        if isinstance(error, openai.APIResponseValidationError | openai.APIConnectionError):
            return True  # APITimeoutError is an APIConnectionError
        if isinstance(error, openai.APIError):
            # An error event in the middle of a stream: the server failed, the request did not.
            return error.type != "invalid_request_error"
        return remote.is_transient(error)


def _logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    """The ``choice.logprobs.content`` list as typed tokens; None when the server sent none."""
    content = getattr(logprobs, "content", None)
    if content is None:
        return None
    return [
        TokenLogprob(
            token=t.token,
            logprob=t.logprob,
            top=[TokenChoice(token=a.token, logprob=a.logprob) for a in t.top_logprobs or []],
        )
        for t in content
    ]


def _reasoning_tokens(usage: Any) -> int | None:
    details = getattr(usage, "completion_tokens_details", None)
    return getattr(details, "reasoning_tokens", None)


create = OpenAIModel.create
