"""Batch runs (``batch = true`` / ``--batch``): a run's calls go through the OpenAI Batch API or
Anthropic Message Batches, wave by wave, through the real SDKs against loopback imitations of
those endpoints; turns carry ``meta.batch_id`` and the batch price; failed requests are retried
alone; expired batches are handled; a killed run resumes by collecting its batches."""

from __future__ import annotations

import asyncio

import pytest
from loopback.batch_servers import AnthropicBatchServer, OpenAIBatchServer

from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.providers import Credentials
from playground.providers.pricing import price_for
from playground.store.batches import BatchLog


def judge_says_a(body):
    text = str(body.get("messages"))
    return "Answer: A\nConfidence: 70" if "Answer:" in text else "My answer is right."


@pytest.fixture
def openai_batches():
    with OpenAIBatchServer(responder=judge_says_a) as server:
        yield server


@pytest.fixture
def anthropic_batches():
    with AnthropicBatchServer(responder=judge_says_a) as server:
        yield server


def experiment(dataset, model, base_url, **top):
    return parse_experiment(
        {
            "name": "batched",
            "protocol": "debate",
            "dataset": str(dataset),
            "cache": False,
            "batch": True,
            "batch_poll_s": 0.01,
            "options": {"rounds": 2},
            "roles": {
                "debater": {"model": model, "base_url": base_url},
                "judge": {"model": model, "base_url": base_url},
            },
            **top,
        }
    )


def run(exp, store, **kwargs):
    credentials = Credentials({"openai": "sk-test", "anthropic": "sk-ant-test"})
    return asyncio.run(run_experiment(exp, store, credentials=credentials, **kwargs))


def model_turns(store, run_id):
    return [t for v in store.transcripts_of(run_id) for t in v.turns]


def test_openai_run_goes_wave_by_wave_at_the_batch_price(store, tiny_dataset, openai_batches):
    exp = experiment(tiny_dataset, "openai/gpt-4o-mini", openai_batches.base_url)
    summary = run(exp, store)
    info = summary.info
    assert info.status == "done"
    assert info.verdicts.get("ok") == 3  # 3 items, one transcript each
    # round 1 of every transcript, round 2, then the judges: three waves, one batch each
    batches = BatchLog(store).of_run(info.id)
    assert [b.wave for b in batches] == [1, 2, 3]
    assert [b.requests for b in batches] == [6, 6, 3]
    assert all(b.status == "collected" and b.succeeded == b.requests for b in batches)
    # nothing went to chat.completions directly
    paths = [r.path for r in openai_batches.requests]
    assert "/v1/chat/completions" not in paths
    assert paths.count("/v1/files") == 3 and paths.count("/v1/batches") == 3
    turns = model_turns(store, info.id)
    assert len(turns) == 15
    remote_ids = {b.remote_id for b in batches}
    assert {t.meta["batch_id"] for t in turns} == remote_ids
    price = price_for("gpt-4o-mini")
    for turn in turns:
        full = price.cost(turn.input_tokens, turn.output_tokens)
        assert turn.cost_usd == pytest.approx(full / 2)
    # the body each request carried is what a direct call sends
    judge_body = openai_batches.batches.jobs[batches[2].remote_id]["requests"][0][1]
    assert judge_body["model"] == "gpt-4o-mini" and judge_body["messages"][0]["role"]


def test_anthropic_run_through_message_batches(store, tiny_dataset, anthropic_batches):
    exp = experiment(tiny_dataset, "anthropic/claude-haiku-4-5", anthropic_batches.base_url)
    info = run(exp, store).info
    assert info.status == "done" and info.verdicts.get("ok") == 3
    batches = BatchLog(store).of_run(info.id)
    assert [b.requests for b in batches] == [6, 6, 3]
    assert all(b.remote_id.startswith("msgbatch_") for b in batches)
    turns = model_turns(store, info.id)
    assert all(t.meta["batch_id"] in {b.remote_id for b in batches} for t in turns)
    price = price_for("claude-haiku-4-5")
    assert turns[0].cost_usd == pytest.approx(
        price.cost(turns[0].input_tokens, turns[0].output_tokens) / 2
    )
    created = [r for r in anthropic_batches.requests if r.path == "/v1/messages/batches"]
    assert created[0].json["requests"][0]["params"]["max_tokens"] >= 1


@pytest.mark.parametrize("server_class", [OpenAIBatchServer, AnthropicBatchServer])
def test_partial_failures_retry_only_the_failed_requests(store, tiny_dataset, server_class):
    model = (
        "openai/gpt-4o-mini" if server_class is OpenAIBatchServer else "anthropic/claude-haiku-4-5"
    )
    with server_class(responder=judge_says_a) as server:
        # in the first batch: request 2 meets a server error, request 5 an invalid request
        server.batches.item_faults = ["ok", "500", "ok", "ok", "400"]
        info = run(experiment(tiny_dataset, model, server.base_url), store).info
        batches = BatchLog(store).of_run(info.id)
        # wave 1 is its batch plus a retry batch holding only the one retryable failure
        assert [(b.wave, b.requests) for b in batches[:2]] == [(1, 6), (1, 1)]
        retried = server.batches.jobs[batches[1].remote_id]["requests"]
        first = server.batches.jobs[batches[0].remote_id]["requests"]
        assert retried[0][1] == first[1][1]  # the same body, sent again alone
    # the invalid request failed for good: its transcript ends in an error verdict
    assert info.verdicts.get("error") == 1 and info.verdicts.get("ok") == 2
    errors = [v for v in store.transcripts_of(info.id) for t in v.turns if t.error]
    assert len(errors) == 1


@pytest.mark.parametrize("server_class", [OpenAIBatchServer, AnthropicBatchServer])
def test_expired_batches_resend_what_expired(store, tiny_dataset, server_class):
    model = (
        "openai/gpt-4o-mini" if server_class is OpenAIBatchServer else "anthropic/claude-haiku-4-5"
    )
    with server_class(responder=judge_says_a) as server:
        server.batches.expire_batches = 1  # the first batch expires with half its requests undone
        info = run(experiment(tiny_dataset, model, server.base_url), store).info
    batches = BatchLog(store).of_run(info.id)
    assert [(b.wave, b.requests) for b in batches[:2]] == [(1, 6), (1, 3)]
    assert batches[0].succeeded == 3 and batches[0].failed == 3
    assert info.status == "done" and info.verdicts.get("ok") == 3


def test_a_killed_run_resumes_by_collecting_its_batches(store, tiny_dataset, openai_batches):
    exp = experiment(tiny_dataset, "openai/gpt-4o-mini", openai_batches.base_url)
    openai_batches.batches.polls = 10**9  # the first batch never ends while this process runs

    async def start_then_die():
        started: list[str] = []
        credentials = Credentials({"openai": "sk-test"})
        task = asyncio.ensure_future(
            run_experiment(exp, store, credentials=credentials, on_start=started.append)
        )
        while not openai_batches.batches.created:
            await asyncio.sleep(0.01)
        task.cancel()  # as good as a kill: the batch is submitted, nothing collected
        with pytest.raises(asyncio.CancelledError):
            await task
        return started[0]

    run_id = asyncio.run(start_then_die())
    assert len(openai_batches.batches.created) == 1
    openai_batches.batches.polls = 0
    info = run(None, store, resume=run_id).info
    assert info.status == "done" and info.verdicts.get("ok") == 3
    batches = BatchLog(store).of_run(run_id)
    # wave 1 was collected, not sent again: three batches in all, as in an unbroken run
    assert len(openai_batches.batches.created) == 3
    assert [b.requests for b in batches] == [6, 6, 3]
    assert openai_batches.batches.requests_sent() == 15


def test_batch_deadline_stops_the_run_resumably(store, tiny_dataset, openai_batches):
    openai_batches.batches.polls = 10**9
    exp = experiment(tiny_dataset, "openai/gpt-4o-mini", openai_batches.base_url)
    exp.batch_deadline_s = 0.1
    with pytest.raises(ExperimentError, match=r"interrupted \(--resume .*batch_deadline_s"):
        run(exp, store)
    (info,) = store.list_runs()
    assert info.status == "interrupted" and not info.verdicts


def seat(kind):
    from playground.providers.human import HumanDesk, HumanModel
    from playground.providers.scripted import ScriptedModel

    return HumanModel(HumanDesk()) if kind == "human" else ScriptedModel(lambda m, c: "x")


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("human", "a person's seat has no batch API"),
        ("scripted", "provider 'scripted' has no batch API"),
    ],
)
def test_seats_without_a_batch_api_are_refused_in_one_line(store, tiny_dataset, kind, what):
    exp = experiment(tiny_dataset, "openai/gpt-4o-mini", "http://127.0.0.1:9/v1")
    with pytest.raises(ExperimentError, match=what) as caught:
        run(exp, store, models={"judge": seat(kind)})
    assert "\n" not in str(caught.value) and str(caught.value).startswith("batch: roles.judge")
    assert store.list_runs() == []  # refused before anything was recorded


def test_batch_benchmark_reports_its_figures(capsys):
    from benchmarks import batch_engines

    batch_engines.main(["--n", "2", "--rounds", "1", "--fail", "0"])
    out = capsys.readouterr().out
    # 2 items x 2 positions, one round: the debaters' wave, then the judges'
    assert "| model calls (turns) | 12 | 12 |" in out
    assert "| waves | - | 2 |" in out and "| provider batches | - | 2 |" in out
    assert "simulated cost saving: 50.0%" in out


def test_a_seat_keeps_its_other_settings_in_a_batch_run(store, tiny_dataset, openai_batches):
    exp = experiment(tiny_dataset, "openai/gpt-4o-mini", openai_batches.base_url)
    exp.roles["judge"].votes = 3
    info = run(exp, store).info
    assert info.status == "done" and info.verdicts.get("ok") == 3
    votes = [t for t in model_turns(store, info.id) if t.meta.get("kind") == "vote"]
    assert len(votes) == 9  # three votes per verdict, all through the batch
    assert all(t.meta["batch_id"] for t in votes)


def test_a_batched_call_has_the_cache_key_of_the_direct_call(openai_batches):
    from playground.experiments.batching import Collector
    from playground.protocols import Seat
    from playground.providers import GenerateConfig, Message, get_model
    from playground.store.cache import cache_key

    url = openai_batches.base_url + "?api-version=1"  # the query selects what answers
    model = get_model("openai/gpt-4o-mini", base_url=url, credentials=Credentials())
    wrapped = Collector.wrap(object.__new__(Collector), {"judge": Seat("judge", model)})
    messages = [Message(role="user", content="hi")]
    batched = wrapped["judge"].model
    assert batched is not model
    assert cache_key(batched, messages, GenerateConfig()) == cache_key(
        model, messages, GenerateConfig()
    )
