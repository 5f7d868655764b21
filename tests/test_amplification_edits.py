"""Steering amplification trees (edits and subtree re-runs as forks), the amplified-vs-direct
summary, and a run of the protocol from the CLI against the loopback OpenAI server."""

from __future__ import annotations

import asyncio

import pytest
from amplification_world import World, write_items
from click.testing import CliRunner
from test_amplification import ROLES, experiment, only_view, run

from playground.cli import cli
from playground.experiments import ExperimentError
from playground.experiments.fork import fork
from playground.experiments.tree_fork import edit_answer, rerun_subtree
from playground.protocols.amplification import summarize, tree_from_turns
from playground.providers.scripted import ScriptedModel
from playground.records import Record


@pytest.fixture
def items(tmp_path):
    return write_items(tmp_path / "amp.jsonl")


def fresh_models(world=None):
    world = world or World()
    return {r: ScriptedModel(world.scripted) for r in ROLES}


def calls(models):
    return {role: len(model.calls) for role, model in models.items()}


def test_editing_a_leaf_recomputes_only_its_ancestors(store, items):
    summary, _ = run(experiment(items), store)
    original, before = only_view(store, summary)
    models = fresh_models()
    result = asyncio.run(
        edit_answer(store, original.id, "1.1.1", "Actually three.\nAnswer: 3", models=models)
    )
    # ancestors 1.1 and 1 recombined and checked again; nothing else is called; the
    # ancestors' direct answers are recorded again from the original, not asked again
    assert calls(models) == {
        "decomposer": 0,
        "answerer": 0,
        "recombiner": 2,
        "checker": 2,
        "recombiner_resample": 2,
    }
    view = store.get_transcript(result.transcript_id)
    assert view.parent_id == original.id
    run_info = store.get_run(result.summary.info.id)
    assert run_info.config["parent"] == {
        "transcript": original.id,
        "run": summary.info.id,
        "kind": "edit",
        "node": "1.1.1",
    }
    assert [t.index for t in view.turns] == list(range(len(view.turns)))
    [human] = [t for t in view.turns if t.model == "human"]
    assert human.role == "answerer" and human.meta["step"] == "edit"
    assert human.meta["node"] == "1.1.1" and human.meta["short"] == "3"
    old = next(t for t in view.turns if t.index == human.meta["edited_from"])
    assert old.meta["copied"] and old.meta["node"] == "1.1.1" and old.content.endswith("2")
    reused = [t for t in view.turns if "reused_from" in t.meta]
    assert {t.meta["node"] for t in reused} == {"1", "1.1"}

    nodes = tree_from_turns(view.item.question, view.turns)
    assert nodes["1.1.1"].edited and nodes["1.1.1"].status == "edited"
    assert (nodes["1.1"].short, nodes["1"].short) == ("6", "30")
    flags = {name: (c.status, c.flagged) for name, c in nodes["1.2"].checks.items()}
    assert flags == {name: (c.status, c.flagged) for name, c in before["1.2"].checks.items()}
    assert nodes["1.1"].flagged == ["direct"]  # 6 now disagrees with the direct answer 5
    by_role = {r.verdict.role: r for r in store.iter_records(result.summary.info.id)}
    assert by_role["recombiner"].is_correct is False  # 6 * 5 = 30, the wrong option
    assert by_role["direct"].is_correct is True
    assert by_role["recombiner"].origin.transcript.parent_id == original.id


def test_editing_a_bad_node_fixes_the_root(store, items):
    summary, _ = run(experiment(items), store, World(bad={"4+1"}))
    original, nodes = only_view(store, summary)
    assert nodes["1.2"].short == "41"
    result = asyncio.run(edit_answer(store, original.id, "1.2", "5", models=fresh_models()))
    view = store.get_transcript(result.transcript_id)
    edited = tree_from_turns(view.item.question, view.turns)
    assert edited["1.2"].edited and edited["1.2"].short == "5"
    human = next(t for t in view.turns if t.model == "human")
    assert human.role == "recombiner"  # the role whose answer the person replaced
    assert edited["1"].short == "25" and edited["1"].flagged == []
    assert {v.role: correct for _, v, correct in view.verdicts} == {
        "recombiner": True,
        "direct": True,
    }


def test_rerunning_a_subtree_calls_it_afresh(store, items):
    summary, _ = run(experiment(items), store, World(bad={"4+1"}))
    original, _ = only_view(store, summary)
    models = fresh_models()  # a good world this time
    result = asyncio.run(rerun_subtree(store, original.id, "1.2", models=models))
    assert calls(models) == {
        "decomposer": 1,  # node 1.2; its subquestions are at the depth budget
        "answerer": 3,  # two leaves and 1.2's direct check; the root's direct is reused
        "recombiner": 2,  # 1.2 and the root
        "checker": 2,
        "recombiner_resample": 2,
    }
    view = store.get_transcript(result.transcript_id)
    nodes = tree_from_turns(view.item.question, view.turns)
    assert nodes["1.2"].short == "5" and nodes["1.2"].flagged == []
    assert {v.role: correct for _, v, correct in view.verdicts}["recombiner"] is True
    assert not any(t.model == "human" for t in view.turns)


def test_bad_fork_requests_are_one_line_errors(store, items):
    summary, _ = run(experiment(items, max_depth=1), store)
    original, _ = only_view(store, summary)
    with pytest.raises(ExperimentError, match="the root has no ancestors"):
        asyncio.run(edit_answer(store, original.id, "1", "Answer: B"))
    with pytest.raises(ExperimentError, match=r"no node '1\.9'"):
        asyncio.run(edit_answer(store, original.id, "1.9", "x"))
    with pytest.raises(ExperimentError, match="empty"):
        asyncio.run(edit_answer(store, original.id, "1.1", "  "))
    with pytest.raises(ExperimentError, match="no transcript"):
        asyncio.run(rerun_subtree(store, "nope", "1"))


def test_a_node_below_a_hand_answered_one_cannot_be_changed(store, items):
    summary, _ = run(experiment(items), store)
    original, _ = only_view(store, summary)
    edited = asyncio.run(edit_answer(store, original.id, "1.2", "5", models=fresh_models()))
    with pytest.raises(ExperimentError, match=r"node 1\.2, above 1\.2\.1, was answered by hand"):
        asyncio.run(edit_answer(store, edited.transcript_id, "1.2.1", "9"))
    # a second edit elsewhere in the fork keeps the first one
    again = asyncio.run(
        edit_answer(store, edited.transcript_id, "1.1.1", "3", models=fresh_models())
    )
    view = store.get_transcript(again.transcript_id)
    nodes = tree_from_turns(view.item.question, view.turns)
    assert nodes["1.2"].edited and nodes["1.1.1"].edited
    assert (nodes["1.1"].short, nodes["1.2"].short, nodes["1"].short) == ("6", "5", "30")


def test_generic_fork_replays_copied_tree_turns(store, items):
    summary, _ = run(experiment(items), store)
    original, _ = only_view(store, summary)
    models = fresh_models()
    result = asyncio.run(fork(store, original.id, at_turn=8, models=models))
    assert result.info.verdicts == {"ok": 2}
    # turns 0–8 (decompositions, leaves, both recombinations below the root) are copied;
    # the checks after them, the root and its checks are asked
    assert calls(models) == {
        "decomposer": 0,
        "answerer": 3,
        "recombiner": 1,
        "checker": 3,
        "recombiner_resample": 3,
    }


def test_summary_compares_amplified_and_direct_and_scores_the_checks(store, items):
    good, _ = run(experiment(items, limit=2), store)
    bad, _ = run(experiment(items, limit=1), store, World(bad={"4+1"}))
    records = [*store.iter_records(good.info.id), *store.iter_records(bad.info.id)]
    result = summarize(records)
    assert result.transcripts == 3
    assert (result.amplified.ok, result.amplified.correct) == (3, 2)
    assert (result.direct.ok, result.direct.correct) == (3, 3)
    assert (result.both_ok, result.agree, result.only_direct_right) == (3, 2, 1)
    tables = {(t.check, t.scope): t for t in result.checks}
    justification = tables[("justification", "tree")]
    assert justification.counts[("flagged", False)] == 1  # the wrong tree was flagged
    assert justification.counts[("passed", True)] == 2  # the right ones passed
    assert justification.rate(False) == 1.0 and justification.rate(True) == 0.0
    assert tables[("resample", "root")].counts[("passed", False)] == 1  # 5*41 = 41*5
    assert tables[("any", "tree")].nodes_flagged >= 2
    rows = result.rows()
    assert rows[0]["check"] == "justification" and "flag rate (wrong)" in rows[0]


def test_amplification_from_the_cli_against_the_loopback_server(tmp_path, openai_server):
    openai_server.responder = World(bad={"4+1"}).responder
    exp = tmp_path / "exp.toml"
    roles = "".join(
        f'[roles.{r}]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\nmax_tokens = 64\n'
        for r in ROLES[:4]
    )
    exp.write_text(
        f'name = "amp-cli"\nprotocol = "amplification"\ndataset = "{items_path(tmp_path)}"\n'
        f"[options]\nmax_depth = 2\nmax_branching = 2\n{roles}"
    )
    db = tmp_path / "log.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "run", str(exp)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "verdicts: 4 ok, 0 unparseable, 0 error" in result.output
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["--db", str(db), "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert {(r.item_id, r.verdict.role) for r in records} == {
        (i, role) for i in ("amp1", "amp2") for role in ("recombiner", "direct")
    }
    amp1 = next(r for r in records if r.item_id == "amp1" and r.verdict.role == "recombiner")
    assert amp1.is_correct is False
    assert {t.meta["node"] for t in amp1.turns} == {"1", "1.1", "1.2", "1.1.1", "1.1.2"} | {
        "1.2.1",
        "1.2.2",
    }
    assert all("parent" in t.meta and "step" in t.meta for t in amp1.turns)
    nodes = tree_from_turns(amp1.question, amp1.turns)
    assert nodes["1.2"].flagged == ["justification", "resample", "direct"]
    assert all(t.resolved_model == "m" for t in amp1.turns)
    # 3 decompositions, 4 leaves, 3 recombinations, 9 checks: all but the root's direct answer,
    # which the direct verdict's record carries (and that one lacks the root's recombination)
    whole = {(r.transcript_id, t.index): t for r in records for t in r.turns}
    assert len([k for k in whole if k[0] == amp1.transcript_id]) == 19
    assert len(amp1.turns) == 18
    # every turn is one HTTP call, except identical calls answered from the cache
    turns = whole.values()
    assert len(openai_server.requests) == sum(not t.cached for t in turns)


def items_path(tmp_path):
    return write_items(tmp_path / "items.jsonl")
