"""generate_with_retry through the real SDKs over HTTP, with faults injected by the loopback
servers: what is retried, how long it waits, and what surfaces when attempts run out."""

from __future__ import annotations

import asyncio
import email.utils
import time
from types import SimpleNamespace

import pytest

from playground.providers import (
    Credentials,
    GenerateConfig,
    Message,
    RetryPolicy,
    generate_with_retry,
    get_model,
    remote,
)

ASK = [Message(role="user", content="is the sky blue today")]
REPLY = "Echo: is the sky blue today"
FAST = RetryPolicy(max_attempts=3, initial_wait=0.01, jitter=0)


@pytest.fixture(params=["openai", "anthropic"])
def endpoint(request):
    """(server, model) for each provider. The deadline is generous: a loaded CI machine must
    not turn a fault test into a timeout test (the hang test builds its own short one)."""
    server = request.getfixturevalue(f"{request.param}_server")
    return server, _model(request.param, server, timeout=30)


def _model(provider, server, *, timeout):
    return get_model(
        f"{provider}/test-model",
        base_url=server.base_url,
        credentials=Credentials({provider: "sk-test-retry-0000000000"}),
        timeout=timeout,
    )


def run(model, *, stream=True, policy=FAST):
    """One call with retries; returns (completion, deltas shown, retries seen, seconds)."""
    shown: list[str] = []
    retries: list[tuple[str, int, float]] = []

    def on_retry(error, attempt, wait):
        retries.append((type(error).__name__, attempt, wait))
        shown.clear()  # what a UI does: drop the partial text of the failed attempt

    start = time.perf_counter()
    result = asyncio.run(
        generate_with_retry(
            model,
            ASK,
            GenerateConfig(max_tokens=50),
            on_delta=shown.append if stream else None,
            on_retry=on_retry,
            policy=policy,
        )
    )
    return result, shown, retries, time.perf_counter() - start


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fault", ["500", "503", "529", "reset", "malformed", "cut"])
def test_a_transient_failure_then_success(endpoint, fault, stream):
    server, model = endpoint
    server.faults = [fault]
    result, shown, retries, _ = run(model, stream=stream)
    assert result.text == REPLY
    assert len(server.requests) == 2
    assert len(retries) == 1 and retries[0][1] == 1
    if stream:
        assert "".join(shown) == REPLY  # only the successful attempt's text is left


@pytest.mark.parametrize("fault", ["cut", "truncate", "stream_error"])
def test_a_stream_failing_midway_is_restarted_and_partial_text_discarded(endpoint, fault):
    server, model = endpoint
    server.faults = [fault]
    partial: list[str] = []

    def on_retry(error, attempt, wait):
        partial.extend(shown)
        shown.clear()

    shown: list[str] = []
    result = asyncio.run(
        generate_with_retry(model, ASK, on_delta=shown.append, on_retry=on_retry, policy=FAST)
    )
    assert partial and "".join(partial) != REPLY  # text had streamed before the failure
    assert REPLY.startswith("".join(partial))
    assert "".join(shown) == result.text == REPLY


def test_rate_limit_waits_as_long_as_retry_after_says(endpoint):
    server, model = endpoint
    server.faults = ["429:0.4"]
    result, _, retries, seconds = run(model)
    assert result.text == REPLY
    assert retries == [("RateLimitError", 1, 0.4)]
    assert 0.4 <= seconds < 1.2


def test_retry_after_ms_is_preferred(endpoint):
    server, model = endpoint
    server.faults = ["429:ms=250"]
    _, _, retries, seconds = run(model)
    assert retries[0][2] == pytest.approx(0.25)
    assert seconds >= 0.25


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_hung_server_times_out_and_is_retried(provider, request):
    server = request.getfixturevalue(f"{provider}_server")
    model = _model(provider, server, timeout=0.5)
    server.faults = ["timeout"]
    server.hang = 5
    result, _, retries, seconds = run(model)
    assert result.text == REPLY
    # the attempt's overall deadline (timeout=0.5) ends it, or the SDK's read timeout
    assert retries[0][0] in ("DeadlineExceeded", "APITimeoutError", "ReadTimeout")
    assert 0.5 <= seconds < 2.5


def test_when_attempts_run_out_the_last_error_surfaces(endpoint):
    server, model = endpoint
    server.faults = ["500", "500", "500", None]
    with pytest.raises(Exception) as raised:
        run(model)
    assert getattr(raised.value, "status_code", None) == 500
    assert len(server.requests) == 3  # max_attempts, and not one more


def test_random_faults_are_reproducible_and_survivable(endpoint):
    server, model = endpoint
    server.fault_rate, server.fault_kinds = 0.5, ["500", "reset", "cut"]
    policy = RetryPolicy(max_attempts=10, initial_wait=0.0, jitter=0)
    results = [run(model, policy=policy)[0].text for _ in range(6)]
    assert results == [REPLY] * 6
    assert len(server.requests) > 6  # some calls did fail and were retried


def _error(status: int, code: str | None = None, **headers: str):
    response = SimpleNamespace(status_code=status, headers=headers)
    return SimpleNamespace(status_code=status, code=code, response=response)


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (429, None, True),
        (429, "insufficient_quota", False),
        (408, None, True),
        (500, None, True),
        (529, None, True),
        (400, None, False),
        (401, None, False),
        (404, None, False),
    ],
)
def test_status_classification(status, code, retryable):
    assert remote.retryable_status(_error(status, code)) is retryable


def test_retry_after_reads_seconds_ms_and_http_dates():
    assert remote.retry_after(_error(429, **{"retry-after": "2"})) == 2.0
    assert remote.retry_after(_error(429, **{"retry-after-ms": "150", "retry-after": "9"})) == 0.15
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= remote.retry_after(_error(429, **{"retry-after": soon})) <= 30
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert remote.retry_after(_error(429, **{"retry-after": past})) == 0.0
    assert remote.retry_after(_error(429, **{"retry-after": "soon-ish"})) is None
    assert remote.retry_after(_error(429)) is None
