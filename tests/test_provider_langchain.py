"""langchain:<import.path> with langchain-core's own fake chat models and a recording one:
message conversion, parameters, streaming, usage, bad paths and retry classification."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from playground.providers import (
    GenerateConfig,
    Message,
    ProviderError,
    RetryPolicy,
    generate_with_retry,
    get_model,
)
from playground.providers.base import DeadlineExceeded, ReplyTooLong

ASK = [
    Message(role="system", content="Be brief."),
    Message(role="user", content="Which is larger?"),
    Message(role="assistant", content="The first."),
    Message(role="user", content="Why?"),
]
HERE = __name__  # this module's import name, for langchain:<path> strings
FAKES = "langchain_core.language_models.fake_chat_models"


class RecordingChat(BaseChatModel):
    """Declares temperature and max_tokens (not seed), records every call, reports usage."""

    temperature: float | None = None
    max_tokens: int | None = None
    api_key: str = ""
    reply: str = "Because it has more digits."
    calls: list[dict[str, Any]] = Field(default_factory=list)
    failures: list[Exception] = Field(default_factory=list)

    def _record(self, messages, stop) -> None:
        self.calls.append(
            {
                "messages": messages,
                "stop": stop,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
            }
        )
        if self.failures:
            raise self.failures.pop(0)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self._record(messages, stop)
        message = AIMessage(
            content=self.reply,
            usage_metadata={"input_tokens": 11, "output_tokens": 5, "total_tokens": 16},
            response_metadata={"model_name": "recording-1", "finish_reason": "stop"},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self._record(messages, stop)
        words = self.reply.split(" ")
        for i, word in enumerate(words):
            last = i == len(words) - 1
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=word if last else word + " ",
                    usage_metadata={"input_tokens": 11, "output_tokens": 5, "total_tokens": 16}
                    if last
                    else None,
                    response_metadata={"model_name": "recording-1"} if last else {},
                )
            )

    @property
    def _llm_type(self) -> str:
        return "recording"


class StatusError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def make_fake() -> FakeListChatModel:
    """A zero-argument factory: a langchain: path may not name one (only classes are built)."""
    return FakeListChatModel(responses=["from a factory"])


@pytest.fixture(autouse=True)
def _allow_this_module(monkeypatch):
    """This test module holds chat-model classes: allow it, as a user would in a setting."""
    monkeypatch.setenv("PLAYGROUND_LANGCHAIN_MODULES", HERE)


def recording(**options):
    return get_model(f"langchain:{HERE}.RecordingChat", **options)


def test_messages_parameters_usage_and_model_name_without_streaming():
    model = recording()
    config = GenerateConfig(temperature=0.2, max_tokens=30, seed=4, stop=["\n\n"])
    result = asyncio.run(model.generate(ASK, config))

    assert result.text == "Because it has more digits."
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 5)
    assert result.usage.cost_usd is None  # not a priced model
    assert result.resolved_model == "recording-1" and result.finish_reason == "stop"
    [call] = model.chat_model.calls
    assert [type(m) for m in call["messages"]] == [
        SystemMessage,
        HumanMessage,
        AIMessage,
        HumanMessage,
    ]
    assert [m.content for m in call["messages"]] == [m.content for m in ASK]
    assert call["stop"] == ["\n\n"]
    assert (call["temperature"], call["max_tokens"]) == (0.2, 30)  # seed: no such field, skipped
    assert model.chat_model.temperature is None  # the shared instance is left untouched


def test_streaming_deltas_join_and_usage_comes_from_the_chunks():
    model = recording()
    deltas: list[str] = []
    result = asyncio.run(model.generate(ASK, on_delta=deltas.append))
    assert len(deltas) == 5 and "".join(deltas) == result.text == "Because it has more digits."
    assert (result.usage.input_tokens, result.usage.output_tokens) == (11, 5)
    assert result.resolved_model == "recording-1"


def test_generic_fake_model_streams_and_reports_no_usage():
    model = get_model(
        f"langchain:{FAKES}.GenericFakeChatModel", messages=iter(["alpha beta gamma"])
    )
    deltas: list[str] = []
    result = asyncio.run(model.generate(ASK, on_delta=deltas.append))
    assert deltas == ["alpha", " ", "beta", " ", "gamma"]
    assert result.text == "alpha beta gamma"
    assert result.usage.input_tokens is None and result.usage.output_tokens is None


def test_fake_list_model_is_built_and_a_factory_function_is_refused():
    listed = get_model(f"langchain:{FAKES}.FakeListChatModel", responses=["first", "second"])
    assert asyncio.run(listed.generate(ASK)).text == "first"
    assert asyncio.run(listed.generate(ASK)).text == "second"
    assert listed.model_string == f"langchain:{FAKES}.FakeListChatModel"
    with pytest.raises(ProviderError, match="make_fake is not a langchain-core BaseChatModel"):
        get_model(f"langchain:{HERE}.make_fake")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("langchain_no_such_package_xyz.Chat", "cannot import langchain_no_such_package_xyz"),
        ("langchain_core.NoSuchChat", "langchain_core has no NoSuchChat"),
        ("langchain_core.messages.HumanMessage", "is not a langchain-core BaseChatModel"),
        ("collections.OrderedDict", "collections is not an allowed module"),
        ("Chat", "full import path"),
    ],
)
def test_a_bad_path_names_what_is_wrong(path, expected):
    with pytest.raises(ProviderError) as raised:
        get_model(f"langchain:{path}")
    assert expected in str(raised.value) and path in str(raised.value)


def test_constructor_options_are_not_described():
    model = recording(api_key="sk-langchain-secret-123456")
    assert "sk-langchain-secret-123456" not in repr(model) + str(model.describe())
    assert model.describe()["class"] == f"{HERE}.RecordingChat"


def test_a_status_5xx_is_retried_and_a_4xx_is_not():
    model = recording()
    model.chat_model.failures.extend([StatusError(503)])
    result = asyncio.run(
        generate_with_retry(model, ASK, policy=RetryPolicy(initial_wait=0, jitter=0))
    )
    assert result.text.startswith("Because") and len(model.chat_model.calls) == 2

    model.chat_model.failures.extend([StatusError(400)])
    with pytest.raises(StatusError):
        asyncio.run(generate_with_retry(model, ASK, policy=RetryPolicy(initial_wait=0)))
    assert len(model.chat_model.calls) == 3
    assert model.is_retryable(StatusError(429)) and not model.is_retryable(ValueError("x"))


class EndlessChat(BaseChatModel):
    """Streams a word every 50 ms forever, or never answers at all: only a deadline ends it."""

    timeout: float | None = None  # as integrations name their own request timeout

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        raise NotImplementedError

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs):
        while True:
            await asyncio.sleep(0.05)
            yield ChatGenerationChunk(message=AIMessageChunk(content="more "))

    @property
    def _llm_type(self) -> str:
        return "endless"


@pytest.mark.parametrize("stream", [False, True])
def test_an_endless_model_is_cut_off_at_the_deadline(stream):
    model = get_model(f"langchain:{HERE}.EndlessChat", timeout=0.5)
    assert model.chat_model.timeout == 0.5  # passed on: the class has a timeout field
    deltas: list[str] = []
    with pytest.raises(DeadlineExceeded, match=r"no complete reply within 0\.5 s"):
        asyncio.run(model.generate(ASK, on_delta=deltas.append if stream else None))
    assert not stream or deltas  # text had streamed before the cut


def test_a_long_reply_is_cut_off_at_the_cap_and_options_are_ours():
    model = get_model(
        f"langchain:{FAKES}.FakeListChatModel", responses=["x" * 5000], max_reply_chars=100
    )
    with pytest.raises(ReplyTooLong, match="passed 100 characters"):
        asyncio.run(model.generate(ASK))
    with pytest.raises(ReplyTooLong):
        asyncio.run(model.generate(ASK, on_delta=lambda _: None))
    with pytest.raises(ProviderError, match="timeout must be a positive number"):
        get_model(f"langchain:{FAKES}.FakeListChatModel", responses=["x"], timeout=-1)
