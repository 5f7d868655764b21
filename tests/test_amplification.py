"""The amplification protocol with scripted models: tree shape, budgets, concurrency, checks,
strict parsing, and what reaches the store and the export."""

from __future__ import annotations

import asyncio

import pytest
from amplification_world import World, write_items

from playground.experiments import parse_experiment, run_experiment
from playground.protocols.amplification import tree_from_turns
from playground.protocols.amplification.parsing import (
    parse_decomposition,
    parse_justification,
    same_answer,
    short_answer,
)
from playground.providers.scripted import ScriptedModel

ROLES = ("decomposer", "answerer", "recombiner", "checker", "recombiner_resample")


def experiment(dataset, limit=1, **options):
    return parse_experiment(
        {
            "name": "amp",
            "protocol": "amplification",
            "dataset": str(dataset),
            "limit": limit,
            "seed": 1,
            "cache": False,  # each test's world answers anew, never from another's replies
            "options": options,
            "roles": {r: {"model": "scripted/x"} for r in ROLES[:4]},
        }
    )


def run(exp, store, world=None, delay=0.0, **overrides):
    world = world or World()
    models = {r: ScriptedModel(world.scripted, delay=delay) for r in ROLES} | overrides
    summary = asyncio.run(run_experiment(exp, store, models=models))
    return summary, models


def only_view(store, summary):
    [view] = store.transcripts_of(summary.info.id)
    return view, tree_from_turns(view.item.question, view.turns)


@pytest.fixture
def items(tmp_path):
    return write_items(tmp_path / "amp.jsonl")


def test_tree_shape_turn_meta_and_two_verdicts(store, items):
    summary, models = run(experiment(items), store)
    view, nodes = only_view(store, summary)
    assert list(nodes) == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1", "1.2.2"]
    assert [nodes[n].question for n in ("1.1", "1.2.2")] == ["What is 2+3?", "What is 1?"]
    assert nodes["1.1"].short == "5" and nodes["1"].short == "25"
    # the depth-2 nodes are never asked to decompose: answered directly, marked
    assert all(nodes[n].budget == "depth" for n in ("1.1.1", "1.1.2", "1.2.1", "1.2.2"))
    assert len(models["decomposer"].calls) == 3
    for turn in view.turns:
        meta = turn.meta
        assert meta["step"] in ("decompose", "answer", "recombine", "check")
        assert meta["depth"] == meta["node"].count(".")
        assert meta["parent"] == (meta["node"].rsplit(".", 1)[0] if meta["depth"] else None)
    assert {n: len(nodes[n].checks) for n in ("1", "1.1", "1.2")} == {"1": 3, "1.1": 3, "1.2": 3}
    assert not any(node.flagged for node in nodes.values())

    records = list(store.iter_records(summary.info.id))
    by_role = {r.verdict.role: r for r in records}
    assert set(by_role) == {"recombiner", "direct"}
    amplified, direct = by_role["recombiner"], by_role["direct"]
    assert amplified.verdict.status == "ok" and amplified.is_correct is True
    assert amplified.verdict.credences[amplified.verdict.choice] == 0.8
    assert amplified.turns[amplified.verdict.turn_index].meta["step"] == "recombine"
    assert direct.verdict.status == "ok" and direct.is_correct is True
    # the direct verdict points at the root's direct answer, which its record carries
    [own] = [t for t in direct.turns if t.index == direct.verdict.turn_index]
    assert own.meta["verdict"] == "direct" and own.meta["node"] == "1"
    assert own.content == direct.verdict.raw and own.role == "answerer"
    # the amplified record carries the whole tree but that one turn (the direct record's)
    assert {t.index for t in amplified.turns} == {t.index for t in view.turns} - {own.index}
    assert not any(t.meta.get("verdict") == "direct" for t in amplified.turns)
    assert amplified.assignment.seats == {} and sorted(amplified.assignment.display_order) == [0, 1]
    assert set(amplified.provenance.roles) == set(ROLES)
    assert amplified.provenance.options["max_depth"] == 2


def test_depth_budget_zero_answers_the_root_directly(store, items):
    summary, models = run(experiment(items, max_depth=0), store)
    view, nodes = only_view(store, summary)
    assert list(nodes) == ["1"] and nodes["1"].budget == "depth"
    assert [t.meta["step"] for t in view.turns] == ["answer"]
    assert not models["decomposer"].calls
    records = list(store.iter_records(summary.info.id))
    assert {r.verdict.role: r.verdict.turn_index for r in records} == {"recombiner": 0, "direct": 0}


def test_branching_budget_answers_a_wide_node_directly(store, items):
    wide = "\n".join(f"- What is {n}?" for n in range(1, 5))
    world = World(decomposer_says={"(2+3)*(4+1)": wide})
    summary, _ = run(experiment(items, max_branching=3), store, world)
    view, nodes = only_view(store, summary)
    assert list(nodes) == ["1"]
    assert nodes["1"].budget == "branching" and nodes["1"].short == "25"
    decompose = view.turns[0]
    assert decompose.meta["budget"] == "branching" and len(decompose.meta["subquestions"]) == 4
    assert view.turns[1].meta == view.turns[1].meta | {"step": "answer", "budget": "branching"}


def test_call_budget_stops_decomposing_and_is_never_exceeded(store, items):
    # root: 1 own + 1 decomposition + 2 subquestions = 4 of 5, so neither child may decompose
    summary, _ = run(experiment(items, max_calls=5, max_depth=4), store)
    view, nodes = only_view(store, summary)
    assert list(nodes) == ["1", "1.1", "1.2"]
    assert nodes["1.1"].budget == nodes["1.2"].budget == "calls"
    tree_calls = [t for t in view.turns if t.meta["step"] != "check"]
    assert len(tree_calls) == 4 <= 5
    assert nodes["1"].short == "25"  # 5 * 5, answered directly below the root


@pytest.mark.parametrize("max_calls", [1, 3, 6, 9, 12])
def test_tree_calls_stay_within_any_budget(store, items, max_calls):
    summary, _ = run(experiment(items, max_calls=max_calls, max_depth=3), store)
    view, _ = only_view(store, summary)
    assert len([t for t in view.turns if t.meta["step"] != "check"]) <= max_calls


def test_siblings_are_answered_concurrently(store, items):
    world = World()
    slow = ScriptedModel(world.scripted, delay=0.2)
    summary, _ = run(experiment(items, max_depth=1, checks=[]), store, world, answerer=slow)
    _, nodes = only_view(store, summary)
    # two leaves answered at once, then the root's direct answer
    assert len(slow.calls) == 3 and [n for n in nodes if nodes[n].is_leaf] == ["1.1", "1.2"]
    assert slow.peak_in_flight == 2


def test_non_sequitur_node_is_flagged_by_every_check(store, items):
    summary, _ = run(experiment(items), store, World(bad={"4+1"}))
    view, nodes = only_view(store, summary)
    bad = nodes["1.2"]
    assert bad.short == "41"
    assert bad.flagged == ["justification", "resample", "direct"]
    assert bad.checks["justification"].credence == pytest.approx(0.1)
    assert bad.checks["resample"].status == "ok"
    resample = next(t for t in view.turns if t.index == bad.checks["resample"].turn)
    assert resample.meta["order"] == ["1.2.2", "1.2.1"] and resample.meta["short"] == "14"
    assert resample.role == "recombiner_resample"
    assert nodes["1.1"].flagged == []
    # 5 * 41 → the amplified answer is wrong; the direct answer is right and disagrees
    by_role = {r.verdict.role: r for r in store.iter_records(summary.info.id)}
    assert by_role["recombiner"].is_correct is False and by_role["direct"].is_correct is True
    assert "direct" in nodes["1"].flagged


def test_unparseable_decomposition_is_a_leaf_and_unparseable_check_is_no_pass(store, items):
    world = World(
        decomposer_says={"4+1": "Well, it depends on what you mean."},
        checker_says="This looks fine to me.",
    )
    summary, _ = run(experiment(items), store, world)
    view, nodes = only_view(store, summary)
    leafy = nodes["1.2"]
    assert leafy.is_leaf and leafy.decomposition == "unparseable" and leafy.budget is None
    assert leafy.short == "5" and not leafy.checks
    decompose = next(
        t for t in view.turns if t.meta == t.meta | {"node": "1.2", "step": "decompose"}
    )
    assert decompose.meta["reason"] == "no LEAF and no '- ' subquestion lines"
    justification = nodes["1"].checks["justification"]
    assert (justification.status, justification.flagged) == ("unparseable", None)


def test_failed_check_is_recorded_and_the_tree_goes_on(store, items):
    broken = ScriptedModel([RuntimeError("checker down")])
    summary, _ = run(experiment(items, max_depth=1), store, checker=broken)
    _, nodes = only_view(store, summary)
    assert nodes["1"].checks["justification"].status == "error"
    assert summary.info.verdicts == {"ok": 2}


def test_failed_tree_call_ends_in_an_error_verdict(store, items):
    broken = ScriptedModel([RuntimeError("recombiner down")])
    summary, _ = run(experiment(items, max_depth=1), store, recombiner=broken)
    [record] = store.iter_records(summary.info.id)
    assert record.verdict.status == "error" and record.verdict.role == "recombiner"
    assert "recombiner turn" in record.verdict.reason


def test_checks_can_be_switched_off(store, items):
    exp = parse_experiment(
        {
            "name": "amp",
            "protocol": "amplification",
            "dataset": str(items),
            "limit": 1,
            "options": {"checks": ["direct"], "max_depth": 1},
            "roles": {r: {"model": "scripted/x"} for r in ROLES[:4]},
        }
    )
    summary, models = run(exp, store)
    _, nodes = only_view(store, summary)
    assert set(nodes["1"].checks) == {"direct"}
    assert not models["checker"].calls


def test_parsers_are_strict():
    assert parse_decomposition("LEAF").status == "leaf"
    assert parse_decomposition("**Leaf.**").status == "leaf"
    assert parse_decomposition("Subquestions:\n1. What is a?\n2) What is b?").subquestions == [
        "What is a?",
        "What is b?",
    ]
    assert parse_decomposition("- only one?").status == "single"
    assert parse_decomposition("LEAF\n- a?\n- b?").status == "unparseable"
    assert parse_decomposition("").status == "unparseable"
    assert short_answer("so\nAnswer: **42**.") == "42"
    assert short_answer("I think the answer is that it is probably 42.") is None
    assert short_answer("forty-two") == "forty-two"
    assert same_answer("1,000", "1000.0") and same_answer("The Blue", "blue")
    assert same_answer("blue", "green") is False and same_answer(None, "x") is None
    assert parse_justification("Justified: no\nConfidence: 80").credence == pytest.approx(0.2)
    assert parse_justification("yes").justified is True
    assert parse_justification("Justified: yes. Justified: no").status == "unparseable"
    assert parse_justification("Seems justified.").status == "unparseable"
    assert parse_justification("Justified: yes\nConfidence: 20").credence is None


def test_resample_by_sampling_uses_its_own_seat_and_skips_the_cache(store, items):
    exp = parse_experiment(
        {
            "name": "amp",
            "protocol": "amplification",
            "dataset": str(items),
            "limit": 1,
            "options": {"max_depth": 1, "resample": "sample"},
            "roles": {r: {"model": "scripted/x"} for r in ROLES[:4]}
            | {"recombiner_resample": {"model": "scripted/x", "temperature": 0.8}},
        }
    )
    summary, models = run(exp, store)
    view, _ = only_view(store, summary)
    resample = next(t for t in view.turns if t.meta.get("check") == "resample")
    recombine = next(t for t in view.turns if t.meta["step"] == "recombine")
    assert resample.meta["order"] == ["1.1", "1.2"] and resample.meta["mode"] == "sample"
    assert resample.params == {"temperature": 0.8} and recombine.params == {}
    # same messages as the recombination, yet a second sample: not answered from the cache
    assert models["recombiner_resample"].calls[0] == models["recombiner"].calls[0]
    assert not resample.cached
    [record] = [r for r in store.iter_records(summary.info.id) if r.verdict.role == "recombiner"]
    assert record.provenance.roles["recombiner_resample"].params == {"temperature": 0.8}
