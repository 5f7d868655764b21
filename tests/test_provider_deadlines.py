"""Every call ends: an overall deadline per attempt (a server trickling bytes never times out a
single read), a cap on the reply's size, no redirects followed; through the real SDKs against
the loopback servers, and end to end to an ``error`` verdict."""

from __future__ import annotations

import asyncio
import gzip

import httpx2
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from playground.cli import cli
from playground.providers import (
    Credentials,
    Message,
    ProviderError,
    RetryPolicy,
    generate_with_retry,
    get_model,
)
from playground.providers.base import DeadlineExceeded, ReplyTooLong
from playground.providers.http import CappedTransport
from playground.store import Store

ASK = [Message(role="user", content="tell me everything")]
ONCE = RetryPolicy(max_attempts=1)


@pytest.fixture(params=["openai", "anthropic"])
def endpoint(request):
    return request.param, request.getfixturevalue(f"{request.param}_server")


def model_for(endpoint, **options):
    provider, server = endpoint
    credentials = Credentials({server.base_url: "sk-test-deadline-0000000000"})
    return get_model(f"{provider}/m", base_url=server.base_url, credentials=credentials, **options)


def call(model, *, stream, policy=ONCE):
    deltas: list[str] = []
    on_delta = deltas.append if stream else None
    coroutine = generate_with_retry(model, ASK, on_delta=on_delta, policy=policy)
    return asyncio.run(coroutine), deltas


@pytest.mark.parametrize("stream", [False, True])
def test_a_trickling_server_is_cut_off_at_the_attempts_deadline(endpoint, stream):
    _, server = endpoint
    server.faults = ["trickle"]
    server.trickle_every = 0.1  # far below the read timeout: only a deadline can end it
    model = model_for(endpoint, timeout=1)
    with pytest.raises(DeadlineExceeded) as raised:  # never ends otherwise
        call(model, stream=stream)
    message = str(raised.value)
    assert "no complete reply within 1 s" in message and "\n" not in message


def test_a_missed_deadline_is_retried_like_a_timeout(endpoint):
    _, server = endpoint
    server.faults = ["trickle", None]
    server.trickle_every = 0.1
    result, _ = call(
        model_for(endpoint, timeout=0.8),
        stream=True,
        policy=RetryPolicy(max_attempts=2, initial_wait=0.01),
    )
    assert result.text == "Echo: tell me everything"
    assert len(server.requests) == 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_past_its_character_cap_is_cut_off_and_not_retried(endpoint, stream):
    _, server = endpoint
    server.responder = lambda body: "many words " * 500
    with pytest.raises(ReplyTooLong, match="passed 1000 characters") as raised:
        call(model_for(endpoint, max_reply_chars=1000), stream=stream, policy=RetryPolicy())
    assert "\n" not in str(raised.value)
    assert len(server.requests) == 1


def test_a_body_past_its_byte_cap_is_cut_off_before_it_is_parsed(endpoint):
    _, server = endpoint
    server.responder = lambda body: "x" * 1_500_000  # a body above the 1 MiB floor
    with pytest.raises(ReplyTooLong, match="reply body passed 1048576 bytes"):
        call(model_for(endpoint, max_reply_chars=10), stream=False, policy=RetryPolicy())
    assert len(server.requests) == 1


def test_a_compressed_body_is_capped_after_it_is_inflated():
    bomb = gzip.compress(b" " * 20_000_000)  # ~20 KB on the wire, 20 MB unpacked
    served = httpx2.MockTransport(
        lambda request: httpx2.Response(200, headers={"content-encoding": "gzip"}, content=bomb)
    )

    async def fetch(cap):
        client = httpx2.AsyncClient(transport=CappedTransport(cap, inner=served))
        async with client:
            return await client.get("http://127.0.0.1:9/v1/chat")

    assert len(asyncio.run(fetch(30_000_000)).content) == 20_000_000  # decoded once, in full
    with pytest.raises(ReplyTooLong, match="passed 1000000 bytes"):
        asyncio.run(fetch(1_000_000))


@pytest.mark.parametrize("option", [{"timeout": 0}, {"timeout": "30"}, {"max_reply_chars": 2.5}])
def test_bad_limits_are_one_line(endpoint, option):
    with pytest.raises(ProviderError, match="must be a positive"):
        model_for(endpoint, **option)


def test_a_redirect_is_not_followed_so_the_key_stays_with_its_server(monkeypatch):
    from loopback.anthropic_server import AnthropicServer

    with AnthropicServer() as paired, AnthropicServer() as elsewhere:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-vendor-key-0123456789")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", paired.base_url)
        paired.faults = ["307"]
        paired.redirect_to = elsewhere.base_url
        model = get_model("anthropic/m")
        with pytest.raises(Exception):  # noqa: B017 - the SDK's error for a 307; any will do
            asyncio.run(generate_with_retry(model, ASK, policy=ONCE))
        sent = paired.requests[0].headers
        assert "sk-ant-vendor-key-0123456789" in f"{sent.get('x-api-key')} {sent['authorization']}"
        assert elsewhere.requests == []  # never followed, with or without the key


def test_a_run_against_a_trickling_server_ends_with_error_verdicts(tmp_path, openai_server):
    openai_server.fault_rate = 1.0
    openai_server.fault_kinds = ["trickle"]
    openai_server.trickle_every = 0.1
    experiment = tmp_path / "trickle.toml"
    seat = f'model = "openai/m"\nbase_url = "{openai_server.base_url}"\ninit = {{ timeout = 0.5 }}'
    experiment.write_text(
        f"""
name = "trickle"
protocol = "debate"
dataset = "builtin:reading"
limit = 1
[options]
rounds = 1
swap_positions = false
[roles.debater]
{seat}
[roles.judge]
{seat}
"""
    )
    db = tmp_path / "log.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "run", str(experiment)])
    assert result.exit_code == 1, result.output  # nothing but errors: the CLI says so
    assert "verdicts: 0 ok, 0 unparseable, 1 error" in result.output
    store = Store(str(db))
    with store.engine.connect() as conn:
        verdict = conn.execute(sa.select(store.verdicts.c.status, store.verdicts.c.reason)).one()
        errors = conn.scalars(sa.select(store.turns.c.error)).all()
    assert verdict.status == "error"
    assert errors and all("DeadlineExceeded" in e and "within 0.5 s" in e for e in errors)
