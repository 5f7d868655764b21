"""anthropic/… through the real anthropic SDK against the loopback server: the Messages API's
system field, required max_tokens, its stream event sequence, keys and what may be logged."""

from __future__ import annotations

import asyncio

import anthropic
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

KEY = "sk-ant-test-0123456789abcdef"
ASK = [
    Message(role="system", content="You are terse."),
    Message(role="user", content="name three prime numbers"),
    Message(role="assistant", content="Two, three, five."),
    Message(role="user", content="and two more"),
]


def model(server, name="claude-haiku-4-5", key=KEY):
    # a key for this server itself: a vendor key alone is not sent to other servers
    credentials = Credentials({server.base_url: key} if key else {})
    return get_model(f"anthropic/{name}", base_url=server.base_url, credentials=credentials)


def test_streamed_deltas_join_to_text_with_usage_and_resolved_model(anthropic_server):
    anthropic_server.served_model = "claude-haiku-4-5-20251001"
    deltas: list[str] = []
    result = asyncio.run(model(anthropic_server).generate(ASK, on_delta=deltas.append))

    assert result.text == "Echo: and two more"
    assert deltas == ["Echo: ", "and ", "two ", "more"]
    assert result.finish_reason == "end_turn"
    assert result.resolved_model == "claude-haiku-4-5-20251001"
    # system (3 words) + messages (4 + 3 + 3): the system prompt was sent and counted
    assert (result.usage.input_tokens, result.usage.output_tokens) == (13, 4)
    price = PRICES["claude-haiku-4-5"]
    assert result.usage.cost_usd == pytest.approx((13 * price.input + 4 * price.output) / 1e6)
    [request] = anthropic_server.requests
    sent = request.json
    assert sent["stream"] is True
    assert sent["system"] == "You are terse."
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["max_tokens"] == 1024  # required by the API: our default when unset
    assert request.headers["authorization"] == f"Bearer {KEY}"  # SDK 2.x sends a Bearer key


def test_non_streaming_maps_parameters_and_never_sends_seed(anthropic_server):
    config = GenerateConfig(max_tokens=2, seed=11, stop=["zz"])
    result = asyncio.run(model(anthropic_server).generate(ASK, config))

    assert (result.text, result.finish_reason) == ("Echo: and", "max_tokens")
    assert result.usage.output_tokens == 2
    sent = anthropic_server.requests[0].json
    assert sent["max_tokens"] == 2 and sent["stop_sequences"] == ["zz"]
    assert "seed" not in sent and "stream" not in sent


def test_stop_sequence(anthropic_server):
    result = asyncio.run(model(anthropic_server).generate(ASK, GenerateConfig(stop=["two"])))
    assert (result.text, result.finish_reason) == ("Echo: and ", "stop_sequence")


@pytest.mark.parametrize("setting", [{"temperature": 0.5}, {"top_p": 0.9}])
def test_sampling_parameters_are_refused_before_any_request(anthropic_server, setting):
    # API version 2026-10-21 rejects them; dropping them silently would log a lie.
    with pytest.raises(ProviderError, match=next(iter(setting))):
        asyncio.run(model(anthropic_server).generate(ASK, GenerateConfig(**setting)))
    assert anthropic_server.requests == []


def test_server_without_usage_gives_unknown_usage(anthropic_server):
    anthropic_server.send_usage = False
    result = asyncio.run(model(anthropic_server).generate(ASK))
    assert result.text == "Echo: and two more"
    assert (result.usage.input_tokens, result.usage.cost_usd) == (None, None)


def test_unknown_model_on_this_machine_costs_nothing(anthropic_server):
    result = asyncio.run(model(anthropic_server, name="claude-local-proxy").generate(ASK))
    assert result.usage.cost_usd == 0.0


def test_key_is_sent_but_never_described(anthropic_server):
    anthropic_server.api_key = KEY
    m = model(anthropic_server)
    assert asyncio.run(m.generate(ASK)).text.startswith("Echo:")
    assert KEY not in repr(m) and KEY not in str(m.describe())
    assert m.describe()["base_url"] == anthropic_server.base_url


@pytest.mark.parametrize(
    ("fault", "error"), [("401", anthropic.AuthenticationError), ("400", anthropic.BadRequestError)]
)
def test_client_errors_are_not_retried(anthropic_server, fault, error):
    anthropic_server.faults = [fault]
    with pytest.raises(error):
        asyncio.run(generate_with_retry(model(anthropic_server), ASK, policy=RetryPolicy()))
    assert len(anthropic_server.requests) == 1


def test_missing_key_is_refused_up_front(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(ProviderError) as raised:
        get_model("anthropic/claude-sonnet-4-5", credentials=Credentials())
    for way in ("ANTHROPIC_API_KEY", ".streamlit/secrets.toml", "API key field"):
        assert way in str(raised.value)


def test_describe_strips_credentials_from_base_url():
    url = "https://bob:hunter2-pass@gateway.example/anthropic?key=zzz999"
    m = get_model(
        "anthropic/claude-sonnet-4-5", base_url=url, credentials=Credentials({"anthropic": KEY})
    )
    assert m.describe()["base_url"] == "https://gateway.example/anthropic"
    for secret in ("bob", "hunter2-pass", "zzz999", KEY):
        assert secret not in repr(m) and secret not in str(m.describe())
