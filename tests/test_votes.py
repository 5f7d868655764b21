"""Judge votes (``votes = N``): N seeded samples, each a turn, one majority verdict whose
credence is the vote share; ties and unreadable votes are unparseable with the reason."""

import asyncio

import pytest

from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.protocols.votes import tally
from playground.providers.scripted import ScriptedModel
from playground.records import Verdict


def experiment(dataset, judge=None, **options):
    return parse_experiment(
        {
            "name": "votes",
            "protocol": "debate",
            "dataset": str(dataset),
            "seed": 3,
            "limit": 1,
            "options": {"rounds": 1, **options},
            "roles": {
                "debater": {"model": "scripted/x"},
                "judge": {"model": "scripted/x", "temperature": 1.0, "seed": 10, **(judge or {})},
            },
        }
    )


def by_seed(replies):
    """A judge whose reply depends only on the seed it is called with."""
    return ScriptedModel(lambda messages, config: replies[config.seed])


def run(exp, store, judges):
    models = {"debater_a": ScriptedModel(["I am right."]), "debater_b": ScriptedModel(["No."])}
    models |= judges
    summary = asyncio.run(run_experiment(exp, store, models=models))
    return list(store.iter_records(summary.info.id))


def test_majority_of_seeded_votes_with_vote_share(store, tiny_dataset):
    replies = {
        10: "Answer: A\nConfidence: 90",
        11: "Answer: B\nConfidence: 60",
        12: "Answer: A",
        13: "no idea",
        14: "Answer: A\nConfidence: 70",
    }
    (record,) = run(experiment(tiny_dataset, {"votes": 5}), store, {"judge": by_seed(replies)})
    votes = [t for t in record.turns if t.meta.get("kind") == "vote"]
    assert [t.meta["vote"] for t in votes] == [1, 2, 3, 4, 5]
    assert [t.params["seed"] for t in votes] == [10, 11, 12, 13, 14]
    assert [t.meta["status"] for t in votes] == ["ok", "ok", "ok", "unparseable", "ok"]
    shown = record.assignment.display_order
    v = record.verdict
    assert v.status == "ok" and v.choice == shown[0]
    # vote share among the four parseable votes, not the mean stated confidence
    assert v.credences[shown[0]] == pytest.approx(0.75)
    assert v.credences[shown[1]] == pytest.approx(0.25)
    assert v.reason == "majority of 5 votes: A 3, B 1, 1 unparseable"
    assert v.turn_index == votes[0].index and "[vote 4]\nno idea" in v.raw
    assert record.provenance.roles["judge"].votes == 5


def test_a_tie_is_unparseable_with_the_reason(store, tiny_dataset):
    replies = {10: "Answer: A", 11: "Answer: B"}
    (record,) = run(experiment(tiny_dataset, {"votes": 2}), store, {"judge": by_seed(replies)})
    assert record.verdict.status == "unparseable"
    assert record.verdict.reason == "tie between A and B (1 of 2 votes each)"
    assert record.is_correct is None


def test_votes_per_seat_of_a_panel(store, tiny_dataset):
    exp = parse_experiment(
        {
            **experiment(tiny_dataset).model_dump(exclude_unset=True),
            "options": {"rounds": 1, "judges": ["judge", "judge_b"]},
            "roles": {
                "debater": {"model": "scripted/x"},
                "judge": {"model": "scripted/x"},
                "judge_b": {"model": "scripted/x", "votes": 3, "temperature": 1.0},
            },
        }
    )
    plain = ScriptedModel(["Answer: B\nConfidence: 80"])
    voter = by_seed({0: "Answer: B", 1: "Answer: B", 2: "Answer: A"})
    (a, b) = sorted(
        run(exp, store, {"judge": plain, "judge_b": voter}), key=lambda r: r.verdict.role
    )
    assert a.verdict.role == "judge" and a.verdict.credences[a.verdict.choice] == 0.8
    assert b.verdict.role == "judge_b" and b.verdict.reason == "majority of 3 votes: A 1, B 2"
    assert b.verdict.credences[b.verdict.choice] == pytest.approx(2 / 3)
    assert len(plain.calls) == 1 and len(voter.calls) == 3
    # each record holds its own judge's calls only
    assert [t.role for t in a.turns if t.role.startswith("judge")] == ["judge"]
    assert [t.meta["kind"] for t in b.turns if t.role.startswith("judge")] == ["vote"] * 3
    assert b.provenance.roles["judge_b"].votes == 3 and b.provenance.roles["judge"].votes is None


def test_no_parseable_vote(store):
    verdict = tally([Verdict(status="unparseable")] * 3, [1, 0], ["A", "B"], 2)
    assert verdict.status == "unparseable" and verdict.reason == "none of 3 votes parsed"


def test_votes_are_refused_on_a_speaking_seat(store, tiny_dataset):
    exp = experiment(tiny_dataset)
    exp.roles["debater"] = exp.roles["debater"].model_copy(update={"votes": 3})
    with pytest.raises(ExperimentError, match=r"roles\.debater_a: votes applies to judge seats"):
        run(exp, store, {"judge": ScriptedModel(["Answer: A"])})
