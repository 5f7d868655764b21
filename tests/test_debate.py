"""The debate protocol end to end with scripted models: turn order, swaps, scoring, failures,
and what reaches the store and the export."""

import asyncio
import json
import re

from playground.experiments import parse_experiment, run_experiment
from playground.export import write_jsonl
from playground.providers import ProviderError
from playground.providers.scripted import ScriptedModel
from playground.records import Record


def debater(messages, config):
    system = messages[0].content
    name = re.search(r"You are Debater (\w)", system).group(1)
    claim = re.search(r'argue that the answer to the question below is "(.*?)", not', system).group(
        1
    )
    rnd = re.search(r"this is round (\d+) of", system).group(1)
    return f"[{name}{rnd}] {claim} is right."


def experiment(dataset, concurrency=4, **options):
    return parse_experiment(
        {
            "name": "scripted",
            "concurrency": concurrency,
            "protocol": "debate",
            "dataset": str(dataset),
            "seed": 7,
            "options": {"rounds": 2, **options},
            "roles": {
                "debater": {"model": "scripted/x", "max_tokens": 60},
                "judge": {"model": "scripted/x"},
            },
        }
    )


def run(exp, store, judge_replies=("Answer: A\nConfidence: 80",), debaters=None):
    models = {
        "debater_a": ScriptedModel(debaters or debater),
        "debater_b": ScriptedModel(debater),
        "judge": ScriptedModel(list(judge_replies)),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    return summary, models


def test_simultaneous_rounds_hide_this_rounds_speech(store, tiny_dataset):
    summary, models = run(experiment(tiny_dataset, concurrency=1), store)  # one at a time
    assert summary.info.status == "done"
    a_calls = models["debater_a"].calls
    # round 1 of the first transcript: nobody has spoken yet
    assert "(nothing yet)" in a_calls[0][0].content
    b_round1 = models["debater_b"].calls[0][0].content
    assert "[A1]" not in b_round1
    # round 2 sees both round-1 speeches, and neither round-2 speech
    a_round2 = a_calls[1][0].content
    assert "[A1]" in a_round2 and "[B1]" in a_round2 and "[B2]" not in a_round2
    # the judge sees every speech but not the passage
    judge_prompt = "\n".join(m.content for m in models["judge"].calls[0])
    assert all(tag in judge_prompt for tag in ("[A1]", "[B1]", "[A2]", "[B2]"))
    assert "Tarn" not in judge_prompt
    assert "Tarn" in a_calls[0][0].content  # debaters do see it


def test_records_follow_the_schema_and_are_scored_by_display_order(store, tiny_dataset):
    summary, _ = run(experiment(tiny_dataset), store)
    records = list(store.iter_records(summary.info.id))
    assert len(records) == 3
    for r in records:
        assert r.verdict.status == "ok"
        assert r.verdict.choice == r.assignment.display_order[0]  # judge always says A
        assert r.is_correct == (r.assignment.display_order[0] == r.correct)
        assert sorted(r.assignment.display_order) == sorted(r.assignment.seats.values())
        assert r.correct in r.assignment.display_order
        assert [t.role for t in r.turns] == ["debater_a", "debater_b"] * 2 + ["judge"]
        assert [t.index for t in r.turns] == list(range(5))
        assert [t.round for t in r.turns] == [1, 1, 2, 2, None]
        assert r.verdict.turn_index == 4
        assert r.verdict.credences[r.verdict.choice] == 0.8
        assert abs(sum(r.verdict.credences) - 1) < 1e-9
        judge = r.provenance.roles["judge"]
        assert judge.prompt_id == "debate/judge" and len(judge.prompt_hash) == 64
        assert r.turns[0].prompt_id == "debate/debater"
        assert r.turns[0].params == {"max_tokens": 60}
        assert r.provenance.seed == 7
        assert r.provenance.options["rounds"] == 2
        assert "pydantic" in r.provenance.packages
    assert summary.info.verdicts == {"ok": 3}
    assert summary.info.correct == sum(r.is_correct for r in records)


def test_position_swap_reverses_display_order_and_seats(store, tiny_dataset):
    summary, _ = run(experiment(tiny_dataset, swap_positions=True), store)
    records = list(store.iter_records(summary.info.id))
    assert len(records) == 6
    by_item = {}
    for r in records:
        by_item.setdefault(r.item_id, {})[r.assignment.swapped] = r
    for pair in by_item.values():
        plain, swapped = pair[False], pair[True]
        assert swapped.assignment.display_order == plain.assignment.display_order[::-1]
        assert swapped.assignment.seats["debater_a"] == plain.assignment.seats["debater_b"]
        # a judge that always picks the first-shown answer is right exactly once per pair
        assert {plain.is_correct, swapped.is_correct} == {True, False}


def test_unparseable_verdict_is_kept_and_never_scored(store, tiny_dataset):
    summary, _ = run(experiment(tiny_dataset), store, judge_replies=["Both are good."])
    records = list(store.iter_records(summary.info.id))
    assert {r.verdict.status for r in records} == {"unparseable"}
    assert all(r.is_correct is None and r.verdict.raw == "Both are good." for r in records)
    assert summary.info.accuracy is None
    assert summary.info.correct == 0


def test_failed_debater_ends_in_error_verdict_and_the_run_goes_on(store, tiny_dataset):
    calls = {"n": 0}

    def flaky(messages, config):
        calls["n"] += 1
        if "How many boats" in messages[-1].content:
            raise ProviderError("refused: sk-abcdefghijklmnop is not valid")
        return debater(messages, config)

    summary, _ = run(experiment(tiny_dataset), store, debaters=flaky)
    records = {r.item_id: r for r in store.iter_records(summary.info.id)}
    assert records["q2"].verdict.status == "error"
    assert records["q2"].is_correct is None
    assert "debater_a turn 0 failed" in records["q2"].verdict.reason
    assert "sk-abcdefghijklmnop" not in records["q2"].verdict.reason  # keys are redacted
    assert records["q2"].turns[0].error.startswith("ProviderError: refused: [redacted]")
    assert records["q1"].verdict.status == records["q3"].verdict.status == "ok"
    views = {v.item.id: v for v in store.transcripts_of(summary.info.id)}
    assert views["q2"].status == "error" and views["q1"].status == "done"


def test_export_lines_parse_back_into_records(store, tiny_dataset, tmp_path):
    summary, _ = run(experiment(tiny_dataset), store)
    out = tmp_path / "out.jsonl"
    with out.open("w") as handle:
        assert write_jsonl(store, handle, summary.info.id) == 3
    lines = out.read_text().splitlines()
    for line in lines:
        data = json.loads(line)
        assert set(data) == set(Record.model_fields)
        assert Record.model_validate(data).run_id == summary.info.id


def test_same_seed_same_assignments(store, tiny_dataset):
    first, _ = run(experiment(tiny_dataset), store)
    second, _ = run(experiment(tiny_dataset), store)
    orders = [
        [r.assignment.display_order for r in store.iter_records(s.info.id)] for s in (first, second)
    ]
    assert orders[0] == orders[1]


def test_human_turns_use_the_same_schema(store, tiny_dataset):
    import random

    from playground.events import fan_out
    from playground.protocols import TranscriptContext
    from playground.protocols.debate import Debate, DebateOptions
    from playground.records import Provenance

    exp = experiment(tiny_dataset)
    item = __import__("playground.experiments", fromlist=["select_items"]).select_items(exp)[0]
    assignment = Debate(DebateOptions()).assignments(item, random.Random(0))[0]
    events = []
    ctx = TranscriptContext(
        run_id="r",
        item=item,
        assignment=assignment,
        seats={},
        emit=fan_out([events.append]),
        provenance=Provenance(roles={}, playground_version="x"),
    )
    turn = ctx.human_turn("judge", "Why should I believe A?", round=1, meta={"kind": "question"})
    assert (turn.index, turn.model, turn.role, turn.round) == (0, "human", "judge", 1)
    assert turn.input_tokens is None and turn.cost_usd is None
    assert [type(e).__name__ for e in events] == ["TurnStarted", "TurnCompleted"]
