"""A person in a seat: `HumanModel` hands the messages to a `HumanDesk` another thread answers;
the turn is recorded with model "human" and unknown usage, the verdict parsed as any judge's;
waiting never blocks the loop, a stopped run never hangs, and nothing a person typed is cached."""

from __future__ import annotations

import asyncio
import threading

import pytest

from playground.experiments import parse_experiment, run_experiment
from playground.prompts import get_prompt
from playground.providers import Message, ProviderError, get_model
from playground.providers.human import (
    HumanDesk,
    HumanModel,
    choice_reply,
    judgement_reply,
    reply_kind,
    shown_answers,
)
from playground.providers.scripted import ScriptedModel


class Person:
    """A thread playing the person: answers every request by its kind until stopped."""

    def __init__(self, desk: HumanDesk, replies: dict[str, str]) -> None:
        self.desk, self.replies, self.seen = desk, replies, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.work, daemon=True)
        self.thread.start()

    def work(self) -> None:
        while not self.stop.is_set():
            request = self.desk.wait_for_request(timeout=0.05)
            if request is not None:
                self.seen.append(request)
                assert self.desk.answer(request.id, self.replies[request.kind])

    def done(self) -> list:
        self.stop.set()
        self.thread.join(5)
        return self.seen


def experiment(protocol: str, roles: dict, cache: bool = True, **options) -> object:
    return parse_experiment(
        {
            "name": "human",
            "protocol": protocol,
            "dataset": "builtin:reading",
            "limit": 1,
            "cache": cache,
            "options": options,
            "roles": roles,
        }
    )


def test_a_person_judges_a_debate_and_is_recorded_as_human(store):
    desk = HumanDesk()
    person = Person(desk, {"judgement": judgement_reply("B", 80)})
    exp = experiment(
        "debate",
        {"debater": {"model": "scripted/x"}, "judge": {"model": "human"}},
        rounds=1,
    )
    models = {
        "debater_a": ScriptedModel(["A argues."]),
        "debater_b": ScriptedModel(["B argues."]),
        "judge": HumanModel(desk, seat="judge"),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    assert summary.info.verdicts == {"ok": 1}
    [request] = person.done()
    assert (request.seat, request.kind) == ("judge", "judgement")
    assert request.messages[0].content.startswith("You are a fair judge")
    assert "A argues." in request.messages[-1].content  # the judge's view: the transcript
    [record] = store.iter_records(summary.info.id)
    judge_turn = record.turns[-1]
    assert (judge_turn.role, judge_turn.model, judge_turn.content) == (
        "judge",
        "human",
        "Answer: B\nConfidence: 80",
    )
    assert judge_turn.resolved_model is None
    assert (judge_turn.input_tokens, judge_turn.output_tokens, judge_turn.cost_usd) == (None,) * 3
    assert judge_turn.params == {} and judge_turn.prompt_id == "debate/judge"
    assert not judge_turn.cached
    assert record.verdict.status == "ok"
    assert record.verdict.choice == record.assignment.display_order[1]
    assert record.verdict.credences[record.verdict.choice] == 0.8
    assert record.provenance.roles["judge"].model == "human"
    assert record.provenance.roles["judge"].base_url is None
    # the cache was on, yet nothing the person typed was stored in it
    keys = store.engine.connect().exec_driver_sql("select model from response_cache").all()
    assert ("human",) not in keys


def test_a_person_chooses_a_side_and_argues_in_open_consultancy(store):
    desk = HumanDesk()
    replies = {"choice": choice_reply("B"), "text": "I argue <quote>the lamp room</quote>."}
    person = Person(desk, replies)
    exp = experiment(
        "open_consultancy",
        {"consultant": {"model": "human"}, "judge": {"model": "scripted/x"}},
        rounds=2,
        interactive_judge=True,
        quotes="strict",
    )
    models = {
        "consultant": HumanModel(desk, seat="consultant"),
        "judge": ScriptedModel(
            lambda m, c: "Q?" if "Write one short" in m[-1].content else "Answer: A\nConfidence: 60"
        ),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    seen = person.done()
    assert [r.kind for r in seen] == ["choice", "text", "text"]
    [record] = store.iter_records(summary.info.id)
    human = [t for t in record.turns if t.model == "human"]
    assert [t.meta.get("kind") for t in human] == ["choice", None, None]
    assert human[0].meta["chose"] == record.assignment.display_order[1]
    assert human[1].meta["quotes"] == {"verified": 1, "unverified": 0}
    assert "Judge: Q?" in seen[2].messages[0].content  # the person saw the judge's question


def test_waiting_does_not_block_the_loop_and_cancelling_withdraws_the_request():
    desk = HumanDesk()
    model = HumanModel(desk, seat="debater_a")

    async def main() -> None:
        call = asyncio.create_task(model.generate([Message(role="user", content="Go")]))
        ticks = 0
        while not desk.pending():
            await asyncio.sleep(0)
        for _ in range(10):  # the loop keeps running while the person thinks
            await asyncio.sleep(0.001)
            ticks += 1
        assert ticks == 10
        [request] = desk.pending()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert desk.pending() == []
        assert desk.answer(request.id, "too late") is False

    asyncio.run(asyncio.wait_for(main(), 5))


def test_a_stopped_run_does_not_hang(store):
    """A run on its own thread and loop, waiting for a person, is cancelled from outside."""
    desk = HumanDesk()
    exp = experiment("blind", {"judge": {"model": "human"}})
    state: dict = {}

    def work() -> None:
        async def execute() -> None:
            state["loop"], state["task"] = asyncio.get_running_loop(), asyncio.current_task()
            await run_experiment(exp, store, models={"judge": HumanModel(desk)})

        try:
            asyncio.run(execute())
        except asyncio.CancelledError:
            state["cancelled"] = True

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    request = desk.wait_for_request(timeout=10)
    assert request is not None and request.kind == "judgement"
    state["loop"].call_soon_threadsafe(state["task"].cancel)
    thread.join(10)
    assert not thread.is_alive() and state["cancelled"]
    [run] = store.list_runs()
    assert run.status == "interrupted"
    assert desk.answer(request.id, judgement_reply("A", 90)) is False


def test_an_unanswered_turn_times_out_into_an_error_verdict(store):
    exp = experiment("blind", {"judge": {"model": "human"}})
    model = HumanModel(HumanDesk(), seat="judge", timeout=0.05)
    summary = asyncio.run(run_experiment(exp, store, models={"judge": model}))
    [record] = store.iter_records(summary.info.id)
    assert record.verdict.status == "error"
    assert "no entry from the person in the judge seat" in record.verdict.reason


def test_reply_kinds_of_the_builtin_prompts():
    def kind(prompt_id: str) -> str:
        template = get_prompt(prompt_id)
        values = dict.fromkeys(template.variables, "x")
        return reply_kind(template.render(**values))

    for judge in ("debate/judge", "consultancy/judge", "blind/judge"):
        assert kind(judge) == "judgement"
    assert kind("debate/choose") == "choice"
    for text in ("debate/debater", "consultancy/consultant", "debate/judge_question"):
        assert kind(text) == "text"
    messages = [Message(role="user", content="Q\nAnswer A: Blue\nAnswer B: Green\nWhich?")]
    assert shown_answers(messages) == {"A": "Blue", "B": "Green"}


def test_human_model_string_and_registry_message():
    model = HumanModel(HumanDesk())
    assert model.model_string == "human"
    assert model.describe() == {"model": "human", "provider": "human", "base_url": None}
    assert model.cacheable is False
    with pytest.raises(ProviderError, match="person's seat"):
        get_model("human")
