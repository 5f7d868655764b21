"""The judged protocols: blind, consultancy (both halves), open variants, sequential turns,
interactive judge, per-round credences and judge panels, with scripted models."""

import asyncio
import re

import pytest

from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel


def arguer(messages, config):
    text = "\n".join(m.content for m in messages)
    if "Which answer will you argue for?" in text:
        return "Answer: B"
    rnd = re.search(r"this is round (\d+) of", text).group(1)
    who = (
        "C" if "You are a consultant" in text else re.search(r"You are Debater (\w)", text).group(1)
    )
    return f"[{who}{rnd}] my side is right."


def judge(messages, config):
    text = messages[-1].content
    if "Write one short question" in text:
        return "Q: what does the source say exactly?"
    return "Answer: A\nConfidence: 70"


def run(store, dataset, protocol, roles, **options):
    exp = parse_experiment(
        {
            "name": protocol,
            "protocol": protocol,
            "dataset": str(dataset),
            "seed": 1,
            "concurrency": 1,
            "options": options,
            "roles": {r: {"model": "scripted/x"} for r in roles},
        }
    )
    models = {}
    for seat in exp.resolved_roles():
        models[seat] = ScriptedModel(judge if seat.startswith("judge") else arguer)
    summary = asyncio.run(run_experiment(exp, store, models=models))
    return list(store.iter_records(summary.info.id)), models


def test_blind_judge_sees_no_argument_and_panels_give_one_verdict_each(store, tiny_dataset):
    records, models = run(
        store,
        tiny_dataset,
        "blind",
        ["judge"],
        judges=["judge", "judge_strict"],
        swap_positions=True,
    )
    assert len(records) == 3 * 2 * 2  # items x positions x judges
    assert "Debate" not in models["judge"].calls[0][-1].content
    by_transcript = {}
    for r in records:
        by_transcript.setdefault(r.transcript_id, []).append(r)
    for group in by_transcript.values():
        assert sorted(r.verdict.role for r in group) == ["judge", "judge_strict"]
        for r in group:  # each record carries its own judge call, not the other judge's
            assert [t.role for t in r.turns] == [r.verdict.role]
        assert group[0].provenance.roles["judge_strict"].prompt_id == "blind/judge"


def test_consultancy_runs_both_halves_with_judge_questions(store, tiny_dataset):
    records, models = run(store, tiny_dataset, "consultancy", ["consultant", "judge"], rounds=2)
    assert len(records) == 6
    conditions = sorted(r.assignment.condition for r in records)
    assert conditions == ["consultant_correct"] * 3 + ["consultant_incorrect"] * 3
    for r in records:
        defended = r.assignment.seats["consultant"]
        assert (defended == r.correct) == (r.assignment.condition == "consultant_correct")
        kinds = [(t.role, t.meta.get("kind")) for t in r.turns]
        assert kinds == [
            ("consultant", None),
            ("judge", "question"),
            ("consultant", None),
            ("judge", None),
        ]
        assert r.turns[1].prompt_id == "debate/judge_question"
    # the round-2 speech saw the judge's question
    round2 = next(c for c in models["consultant"].calls if "round 2 of 2" in c[0].content)
    assert "Judge: Q: what does the source say exactly?" in round2[0].content


def test_open_consultancy_records_the_choice(store, tiny_dataset):
    records, _ = run(store, tiny_dataset, "open_consultancy", ["consultant", "judge"], rounds=1)
    assert len(records) == 3
    for r in records:
        choice = r.turns[0]
        assert choice.meta == {"kind": "choice", "chose": r.assignment.display_order[1]}
        assert choice.prompt_id == "debate/choose"
        assert r.assignment.condition == "open"
        assert "Consultant (for B)" not in choice.content


def test_open_debate_unclear_choice_is_an_error_verdict(store, tiny_dataset):
    def undecided(messages, config):
        if "Which answer will you argue for?" in messages[-1].content:
            return "Both are plausible."
        return arguer(messages, config)

    exp = parse_experiment(
        {
            "name": "o",
            "protocol": "open_debate",
            "dataset": str(tiny_dataset),
            "options": {"rounds": 1},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    models = {
        "debater_a": ScriptedModel(undecided),
        "debater_b": ScriptedModel(arguer),
        "judge": ScriptedModel(judge),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    records = list(store.iter_records(summary.info.id))
    assert {r.verdict.status for r in records} == {"error"}
    assert all("no clear 'Answer: A/B' choice" in r.verdict.reason for r in records)


def test_open_debate_b_defends_what_a_did_not_choose(store, tiny_dataset):
    records, models = run(store, tiny_dataset, "open_debate", ["debater", "judge"], rounds=1)
    for r in records:
        assert r.turns[0].meta["chose"] == r.assignment.display_order[1]
    b_prompt = models["debater_b"].calls[0][0].content
    a_prompt = models["debater_a"].calls[1][0].content
    assert "You are Debater A" in b_prompt and "You are Debater B" in a_prompt  # named by label
    judge_prompt = models["judge"].calls[0][-1].content
    assert "Answer: B" not in judge_prompt.split("Debate:")[1]  # the side choice is no speech


@pytest.mark.parametrize(("order", "sees"), [("simultaneous", False), ("sequential", True)])
def test_turn_order(store, tiny_dataset, order, sees):
    _, models = run(store, tiny_dataset, "debate", ["debater", "judge"], rounds=1, turn_order=order)
    b_first = models["debater_b"].calls[0][0].content
    assert ("[A1]" in b_first) is sees


def test_judge_each_round_records_interim_credences_not_verdicts(store, tiny_dataset):
    records, _ = run(
        store, tiny_dataset, "debate", ["debater", "judge"], rounds=3, judge_each_round=True
    )
    assert len(records) == 3  # interim judgements are not verdicts
    for r in records:
        interim = [t for t in r.turns if t.meta.get("kind") == "interim"]
        assert [t.round for t in interim] == [1, 2]
        for t in interim:
            assert t.meta["status"] == "ok"
            assert t.meta["choice"] == r.assignment.display_order[0]
            assert t.meta["credences"][t.meta["choice"]] == pytest.approx(0.7)


def test_interactive_debate_judge_question_reaches_both_debaters(store, tiny_dataset):
    _, models = run(
        store, tiny_dataset, "debate", ["debater", "judge"], rounds=2, interactive_judge=True
    )
    for seat in ("debater_a", "debater_b"):
        round2 = next(c for c in models[seat].calls if "round 2 of 2" in c[0].content)
        assert "Judge: Q: what does the source say exactly?" in round2[0].content


def test_bad_judge_seat_names_are_refused():
    from playground.experiments import ExperimentError

    with pytest.raises(
        ExperimentError, match="judge seat 'referee' must be 'judge' or 'judge_<name>'"
    ):
        parse_experiment(
            {
                "name": "x",
                "protocol": "blind",
                "dataset": "builtin:reading",
                "options": {"judges": ["referee"]},
                "roles": {"judge": {"model": "local/smollm2"}},
            }
        )


def test_best_of_n_records_candidates_scores_and_the_pick(store, tiny_dataset):
    from playground.protocols.judging import parse_selection

    counter = {"n": 0}

    def sampler(messages, config):
        counter["n"] += 1
        return f"candidate speech {counter['n']}"

    def selector(messages, config):
        return "1: 3\n2: 9\n3: 5\nBest: 2"

    exp = parse_experiment(
        {
            "name": "bon",
            "protocol": "debate",
            "dataset": str(tiny_dataset),
            "items": ["q1"],
            "options": {"rounds": 1, "best_of_n": 3},
            "roles": {
                "debater": {"model": "scripted/x"},
                "judge": {"model": "scripted/x"},
                "selector": {"model": "scripted/x"},
            },
        }
    )
    models = {
        "debater_a": ScriptedModel(sampler, name="a"),
        "debater_b": ScriptedModel(sampler, name="b"),
        "judge": ScriptedModel(judge),
        "selector": ScriptedModel(selector, name="sel"),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    [record] = store.iter_records(summary.info.id)
    for seat in ("debater_a", "debater_b"):
        candidates = [
            t for t in record.turns if t.role == seat and t.meta.get("kind") == "candidate"
        ]
        assert [t.meta["candidate"] for t in candidates] == [1, 2, 3]
        assert len({t.content for t in candidates}) == 3  # the cache did not collapse them
        [speech] = [t for t in record.turns if t.role == seat and "selected" in t.meta]
        assert speech.meta["selected"] == 2 and speech.content == candidates[1].content
        assert speech.meta["candidates"] == [t.index for t in candidates]
    selections = [t for t in record.turns if t.role == "selector"]
    assert [t.meta["scores"] for t in selections] == [{"1": 3.0, "2": 9.0, "3": 5.0}] * 2
    # the judge read only the picked speeches
    judged = models["judge"].calls[0][-1].content
    assert judged.count("candidate speech") == 2
    assert parse_selection("no idea", 3) == {
        "kind": "selection",
        "scores": {},
        "chosen": 1,
        "status": "unparseable",
    }
    assert parse_selection("1: 2\n2: 8", 2)["chosen"] == 2
