"""openai/… through the real openai SDK against the loopback server: streaming, usage, parameter
mapping, keys, and what may be logged."""

from __future__ import annotations

import asyncio

import openai
import pytest

from playground.providers import (
    Credentials,
    GenerateConfig,
    Message,
    ProviderError,
    RetryPolicy,
    generate_with_retry,
    get_model,
)
from playground.providers.pricing import PRICES

KEY = "sk-test-openai-0123456789abcdef"
ASK = [
    Message(role="system", content="You are terse."),
    Message(role="user", content="name three prime numbers"),
]


def model(server, name="gpt-4o-mini", key=KEY, **options):
    # a key for this server itself: a vendor key alone is not sent to other servers
    credentials = Credentials({server.base_url: key} if key else {})
    return get_model(f"openai/{name}", base_url=server.base_url, credentials=credentials, **options)


def test_streamed_deltas_join_to_text_with_usage_and_resolved_model(openai_server):
    openai_server.served_model = "gpt-4o-mini-2024-07-18"
    deltas: list[str] = []
    result = asyncio.run(model(openai_server).generate(ASK, on_delta=deltas.append))

    assert result.text == "Echo: name three prime numbers"
    assert len(deltas) == 5 and "".join(deltas) == result.text
    assert result.finish_reason == "stop"
    assert result.resolved_model == "gpt-4o-mini-2024-07-18"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (7, 5)
    price = PRICES["gpt-4o-mini"]  # a dated snapshot is priced as its alias
    assert result.usage.cost_usd == pytest.approx((7 * price.input + 5 * price.output) / 1e6)
    [request] = openai_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}
    assert request.json["messages"][0] == {"role": "system", "content": "You are terse."}
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_non_streaming_maps_every_generation_parameter(openai_server):
    config = GenerateConfig(temperature=0.3, max_tokens=3, top_p=0.9, seed=7, stop=["zz"])
    result = asyncio.run(model(openai_server).generate(ASK, config))

    assert result.text == "Echo: name three"  # cut at three words by max_tokens
    assert result.finish_reason == "length"
    assert result.usage.output_tokens == 3
    sent = openai_server.requests[0].json
    assert "stream" not in sent
    # a compatible server gets max_tokens; only api.openai.com gets max_completion_tokens
    assert {k: sent[k] for k in ("temperature", "max_tokens", "top_p", "seed", "stop")} == {
        "temperature": 0.3,
        "max_tokens": 3,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["zz"],
    }


def test_unset_parameters_are_not_sent(openai_server):
    asyncio.run(model(openai_server).generate(ASK))
    sent = openai_server.requests[0].json
    assert set(sent) == {"model", "messages"}


def test_stop_sequence_ends_the_reply(openai_server):
    result = asyncio.run(model(openai_server).generate(ASK, GenerateConfig(stop=["prime"])))
    assert (result.text, result.finish_reason) == ("Echo: name three ", "stop")


@pytest.mark.parametrize("stream", [False, True])
def test_server_without_usage_gives_unknown_usage_not_a_crash(openai_server, stream):
    openai_server.send_usage = False
    on_delta = (lambda _: None) if stream else None
    result = asyncio.run(model(openai_server).generate(ASK, on_delta=on_delta))
    assert result.text == "Echo: name three prime numbers"
    assert result.usage.input_tokens is None
    assert result.usage.output_tokens is None
    assert result.usage.cost_usd is None


def test_a_model_you_serve_yourself_costs_nothing(openai_server):
    result = asyncio.run(model(openai_server, name="llama3.1").generate(ASK))
    assert result.usage.cost_usd == 0.0


def test_key_is_sent_but_never_described(openai_server):
    openai_server.api_key = KEY
    m = model(openai_server)
    result = asyncio.run(m.generate(ASK))
    assert result.text.startswith("Echo:")
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(m) and KEY not in str(m.describe())
    assert m.describe()["base_url"] == openai_server.base_url


@pytest.mark.parametrize("fault", ["401", "400", "404"])
def test_client_errors_are_not_retried(openai_server, fault):
    openai_server.faults = [fault]
    with pytest.raises(openai.APIStatusError) as raised:
        asyncio.run(generate_with_retry(model(openai_server), ASK, policy=RetryPolicy()))
    assert raised.value.status_code == int(fault)
    assert len(openai_server.requests) == 1


def test_wrong_key_is_refused_once(openai_server):
    openai_server.api_key = "sk-the-right-one-000000"
    with pytest.raises(openai.AuthenticationError):
        asyncio.run(generate_with_retry(model(openai_server), ASK))
    assert len(openai_server.requests) == 1


def test_missing_key_for_the_openai_api_is_refused_up_front(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ProviderError) as raised:
        get_model("openai/gpt-4o-mini", credentials=Credentials())
    message = str(raised.value)
    assert "\n" not in message
    for way in ("OPENAI_API_KEY", ".streamlit/secrets.toml", "API key field"):
        assert way in message


def test_local_server_needs_no_key(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = asyncio.run(model(openai_server, key=None).generate(ASK))
    assert result.text.startswith("Echo:")
    assert openai_server.requests[0].headers["authorization"] == "Bearer no-key-needed"


def test_environment_key_is_used(openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment-123")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)  # the standard pairing
    asyncio.run(model(openai_server, key=None).generate(ASK))
    assert (
        openai_server.requests[0].headers["authorization"] == "Bearer sk-from-the-environment-123"
    )


def test_describe_strips_credentials_and_query_from_base_url():
    url = "http://alice:s3cret-pass@proxy.example:8443/v1?token=abc123#frag"
    m = get_model("openai/gpt-4o", base_url=url, credentials=Credentials({"openai": KEY}))
    assert m.describe()["base_url"] == "http://proxy.example:8443/v1"
    for secret in ("alice", "s3cret-pass", "abc123", KEY):
        assert secret not in repr(m) and secret not in str(m.describe())
        assert secret not in str(m.base_url)


def test_unknown_option_is_refused():
    with pytest.raises(ProviderError, match="unknown option"):
        get_model("openai/m", base_url="http://127.0.0.1:1/v1", temprature=1)


def test_one_client_per_event_loop_shared_by_models_on_one_endpoint(openai_server):
    m, same_endpoint = model(openai_server), model(openai_server, name="gpt-4o")

    async def calls():
        await asyncio.gather(m.generate(ASK), same_endpoint.generate(ASK))
        assert m._client() is same_endpoint._client()
        return m._client()

    first = asyncio.run(calls())
    second = asyncio.run(calls())  # a fresh loop, as on every Streamlit rerun, must still work
    assert second is not first
    assert len(openai_server.requests) == 4


def test_models_endpoint_lists_the_served_model(openai_server):
    openai_server.served_model = "loopback-7b"

    async def listed():
        client = openai.AsyncOpenAI(api_key="x", base_url=openai_server.base_url, max_retries=0)
        return [m.id async for m in client.models.list()]

    assert asyncio.run(listed()) == ["loopback-7b"]
