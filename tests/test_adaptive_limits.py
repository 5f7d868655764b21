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


def test_a_run_records_and_reports_the_limit_in_force(tmp_path, openai_server):
    from click.testing import CliRunner
    from test_cli import judge_or_debater, write_experiment

    from playground.cli import cli
    from playground.store import Store

    openai_server.responder = judge_or_debater
    openai_server.faults = ["429:0"]
    url = openai_server.base_url
    exp = write_experiment(
        tmp_path / "e.toml",
        f'[roles.debater]\nmodel = "openai/m"\nbase_url = "{url}"\n'
        f'[roles.judge]\nmodel = "openai/m"\nbase_url = "{url}"\n'
        "[limits.openai]\nmax_in_flight = 4\n",
        extra="concurrency = 1",
    )
    db = tmp_path / "log.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "run", str(exp)])
    assert result.exit_code == 0, result.output
    assert "limit openai: 4 calls in flight, lowered to 2 after 1 rate-limited attempts" in (
        result.stdout
    )
    # the progress on stderr says when the limit in force changes
    assert "  limit openai: 2 of 4 calls in flight\n" in result.output
    assert "  limit openai: 4 of 4 calls in flight\n" in result.output
    [run] = Store(f"sqlite:///{db}").list_runs()
    record = run.config["limits_in_force"]["openai"]
    assert record["max_in_flight"] == 4 and record["lowest"] == 2 and record["rate_limited"] == 1
    assert record["in_force"] == 4  # 20 calls: grown back


def test_the_progress_line_shows_the_limit_in_force():
    from playground.events import LimitChanged
    from playground.experiments.progress import RunProgress

    progress = RunProgress()
    assert progress.limit_line() == ""
    progress(LimitChanged("openai", 2, 8))
    progress(LimitChanged("max_calls", 16, 32))
    assert progress.limit_line() == "limit openai 2/8, limit max_calls 16/32"
