"""``langchain:<package.module.Name>``: any langchain-core chat model, named by import path.

``Name`` is a ``BaseChatModel`` subclass, built with the options given to `get_model` (the
role's ``init`` table). This opens every LangChain integration without a module of our own; what
may be named is limited by `admission` (``langchain_*`` packages plus modules the user allows).
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)

from . import admission, remote
from .base import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_TIMEOUT,
    Completion,
    GenerateConfig,
    Message,
    Model,
    OnDelta,
    ProviderError,
    Usage,
    check_limits,
)

_MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}

# Our parameter → the constructor field names integrations use for it (first match wins).
_FIELDS = {
    "temperature": ("temperature",),
    "max_tokens": ("max_tokens", "max_completion_tokens", "max_output_tokens", "num_predict"),
    "top_p": ("top_p",),
    "seed": ("seed",),
}


class LangChainModel(Model):
    """Wraps one chat model instance; per-call parameters go on a shallow copy of it."""

    provider = "langchain"

    def __init__(
        self,
        path: str,
        chat_model: BaseChatModel,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    ) -> None:
        super().__init__(path)
        self.chat_model = chat_model
        self.deadline = timeout  # an asyncio timeout around each attempt (`Model.generate`)
        self.max_reply_chars = max_reply_chars

    @property
    def model_string(self) -> str:
        return f"langchain:{self.name}"

    def _configured(self, config: GenerateConfig) -> BaseChatModel:
        # Only fields the class declares are set: an integration without `seed` simply does not
        # get one, instead of failing on an unexpected keyword.
        fields = type(self.chat_model).model_fields
        update: dict[str, Any] = {}
        for ours, candidates in _FIELDS.items():
            value = getattr(config, ours)
            name = next((c for c in candidates if c in fields), None)
            if value is not None and name is not None:
                update[name] = value
        return self.chat_model.model_copy(update=update) if update else self.chat_model

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        model = self._configured(config)
        prompt = [_MESSAGE_TYPES[m.role](content=m.content) for m in messages]
        if on_delta is None:
            reply: AIMessage | AIMessageChunk = await model.ainvoke(prompt, stop=config.stop)
        else:
            merged: AIMessageChunk | None = None
            async for chunk in model.astream(prompt, stop=config.stop):
                text = str(chunk.text)
                if text:
                    on_delta(text)
                merged = chunk if merged is None else merged + chunk
            reply = merged if merged is not None else AIMessageChunk(content="")
        return self._completion(reply)

    def _completion(self, reply: AIMessage | AIMessageChunk) -> Completion:
        usage = reply.usage_metadata
        meta = reply.response_metadata or {}
        resolved = meta.get("model_name") or meta.get("model") or None
        finish = meta.get("finish_reason") or meta.get("stop_reason") or None
        return Completion(
            text=str(reply.text),
            usage=Usage(
                input_tokens=usage["input_tokens"],
                output_tokens=usage["output_tokens"],
                cost_usd=remote.cost_usd(
                    str(resolved or ""),
                    usage["input_tokens"],
                    usage["output_tokens"],
                    base_url=None,
                ),
            )
            if usage
            else Usage(),
            resolved_model=str(resolved) if resolved else None,
            finish_reason=str(finish) if finish else None,
        )

    def is_retryable(self, error: BaseException) -> bool:
        by_status = remote.retryable_status(error)
        if by_status is not None:
            return by_status
        return remote.is_transient(error)

    def retry_after(self, error: BaseException) -> float | None:
        return remote.retry_after(error)

    @property
    def init(self) -> dict[str, Any]:
        """The chat model's constructor fields as given (those the caller set)."""
        return self.chat_model.model_dump(exclude_unset=True)

    def describe(self) -> dict[str, Any]:
        # Constructor options may hold keys: record the class, never the options.
        cls = type(self.chat_model)
        return {**super().describe(), "class": f"{cls.__module__}.{cls.__qualname__}"}


def create(
    name: str, *, base_url: str | None = None, credentials: Any = None, **options: Any
) -> LangChainModel:
    """Build the chat model once; ``options`` are its constructor arguments. Integrations read
    their own keys (``OPENAI_API_KEY``...), so ``credentials`` is not used.

    Only a `BaseChatModel` subclass from an allowed module is built (`admission`): the path is
    checked, and refused in one line, before anything it names is imported or called.
    ``timeout`` (the attempt's overall deadline) and ``max_reply_chars`` are ours; ``timeout``
    is passed on too when the class has a field of that name (or alias), as ChatOpenAI does.
    """
    target = admission.langchain_class(name)
    timeout = options.pop("timeout", DEFAULT_TIMEOUT)
    max_reply_chars = options.pop("max_reply_chars", DEFAULT_MAX_REPLY_CHARS)
    check_limits(f"langchain:{name}", timeout, max_reply_chars)
    fields = target.model_fields
    if any("timeout" in (field, info.alias) for field, info in fields.items()):
        options.setdefault("timeout", timeout)
    if base_url is not None:
        options.setdefault("base_url", base_url)
    try:
        chat_model = target(**options)
    except Exception as error:
        raise ProviderError(f"langchain:{name}: could not build it: {error}") from None
    return LangChainModel(name, chat_model, timeout=timeout, max_reply_chars=max_reply_chars)
