"""The calls-in-flight limit adapts to the endpoint, through the real SDKs over HTTP: it halves
on HTTP 429 or a rate-limit header saying nothing remains, and grows back to the configured
limit after runs of successful calls."""

import asyncio

from test_retry import ASK, FAST, endpoint  # noqa: F401  (the fixture)

from playground.providers import GenerateConfig
from playground.providers.limits import Limiter, Limits
from playground.providers.retry import generate_with_retry


def calls(model, limiter, n):
    async def go():
        for _ in range(n):
            await generate_with_retry(
                model, ASK, GenerateConfig(max_tokens=20), policy=FAST, limiter=limiter
            )

    asyncio.run(go())


def test_a_429_halves_the_limit_and_success_grows_it_back(endpoint):  # noqa: F811
    server, model = endpoint
    limiter = Limiter(Limits(max_in_flight=8))
    server.faults = ["429:0"]
    calls(model, limiter, 1)
    assert (limiter.in_force, limiter.lowest, limiter.rate_limited) == (4, 4, 1)
    # the retried call was the first success at 4; 4 to grow to 5, 5 to 6, 6 to 7, 7 to 8
    calls(model, limiter, 3 + 5 + 6 + 6)  # one short of growing back to 8
    assert limiter.in_force == 7
    calls(model, limiter, 1)
    assert (limiter.in_force, limiter.lowest) == (8, 4)
    calls(model, limiter, 10)
    assert limiter.in_force == 8  # never above the configured limit


def test_a_remaining_header_of_zero_backs_off_too(endpoint):  # noqa: F811
    server, model = endpoint
    limiter = Limiter(Limits(max_in_flight=3))
    server.fault_headers = {"x-ratelimit-remaining-requests": "0"}
    server.faults = ["503"]
    calls(model, limiter, 1)
    # down to 1 (3 // 2), then up by one on the retried call's success
    assert (limiter.lowest, limiter.in_force, limiter.rate_limited) == (1, 2, 1)
    server.faults = ["500"]  # a server error that says nothing of the rate is not a back-off
    server.fault_headers = {}
    calls(model, limiter, 1)
    assert limiter.rate_limited == 1 and limiter.in_force == 2


def test_calls_never_exceed_the_limit_in_force(endpoint):  # noqa: F811
    server, model = endpoint
    server.latency = 0.05
    limiter = Limiter(Limits(max_in_flight=4))
    limiter.in_force = 2  # as after a back-off
    peak = 0

    async def one():
        await generate_with_retry(model, ASK, GenerateConfig(max_tokens=5), limiter=limiter)

    async def watch(done):
        nonlocal peak
        while not done.is_set():
            peak = max(peak, limiter._in_flight)
            await asyncio.sleep(0.005)

    async def go():
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(done))
        await asyncio.gather(*(one() for _ in range(8)))
        done.set()
        await watcher

    asyncio.run(go())
    assert 1 <= peak <= 3  # 2 in force, growing by one after two successes
