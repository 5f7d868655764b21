"""Fork and re-judge: copied turns, new calls only where the transcript changes, and the link to
the parent in the store and in exports."""

import asyncio

import pytest
from test_debate import debater

from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.experiments.fork import fork, merge
from playground.providers.scripted import ScriptedModel


def original_run(store, dataset, rounds=2):
    exp = parse_experiment(
        {
            "name": "orig",
            "protocol": "debate",
            "dataset": str(dataset),
            "items": ["q1"],
            "options": {"rounds": rounds},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    models = {
        "debater_a": ScriptedModel(debater),
        "debater_b": ScriptedModel(debater),
        "judge": ScriptedModel(["Answer: A\nConfidence: 60"]),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    [view] = store.transcripts_of(summary.info.id)
    return view, models


def test_rejudge_copies_the_debate_and_asks_only_the_new_judge(store, tiny_dataset):
    view, models = original_run(store, tiny_dataset)
    new_judge = ScriptedModel(["Answer: B\nConfidence: 95"])
    debaters = {"debater_a": models["debater_a"], "debater_b": models["debater_b"]}
    calls_before = sum(len(m.calls) for m in debaters.values())
    summary = asyncio.run(
        fork(
            store,
            view.id,
            changes={"roles": {"judge": {"temperature": 0.0}}},
            models={**debaters, "judge": new_judge},
        )
    )
    assert sum(len(m.calls) for m in debaters.values()) == calls_before  # no debater spoke again
    [child] = store.transcripts_of(summary.info.id)
    assert child.parent_id == view.id
    speeches = [t for t in child.turns if t.role != "judge"]
    assert [t.content for t in speeches] == [t.content for t in view.turns if t.role != "judge"]
    assert all(t.meta["copied"] for t in speeches)
    [(_, verdict, _)] = child.verdicts
    assert verdict.choice == view.assignment.display_order[1]  # the new judge said B
    assert new_judge.calls[0][-1].content == models["judge"].calls[0][-1].content  # same view
    [record] = store.iter_records(summary.info.id)
    assert record.origin.transcript.parent_id == view.id
    assert record.provenance.roles["judge"].params == {"temperature": 0.0}
    assert summary.info.config["parent"] == {
        "transcript": view.id,
        "run": view.run_id,
        "kind": "rejudge",
        "at_turn": None,
    }


def test_fork_at_a_turn_reruns_what_follows(store, tiny_dataset):
    view, models = original_run(store, tiny_dataset)
    new_b = ScriptedModel(lambda m, c: "[B-new] I changed my mind about nothing.", name="b-new")
    summary = asyncio.run(
        fork(
            store,
            view.id,
            at_turn=1,
            models={"debater_a": models["debater_a"], "debater_b": new_b, "judge": models["judge"]},
        )
    )
    [child] = store.transcripts_of(summary.info.id)
    assert [t.role for t in child.turns] == ["debater_a", "debater_b"] * 2 + ["judge"]
    assert [t.meta.get("copied", False) for t in child.turns] == [True, True, False, False, False]
    assert child.turns[3].content.startswith("[B-new]")
    assert len(new_b.calls) == 1  # only round 2's speech
    assert "[B1]" in new_b.calls[0][0].content  # it saw the copied round 1


def test_fork_refuses_a_turn_that_does_not_exist(store, tiny_dataset):
    view, _ = original_run(store, tiny_dataset)
    with pytest.raises(
        ExperimentError, match=r"--at-turn: 9 is not a turn of this transcript \(0–4\)"
    ):
        asyncio.run(fork(store, view.id, at_turn=9))
    with pytest.raises(ExperimentError, match="no transcript 'nope'"):
        asyncio.run(fork(store, "nope"))


def test_merge_is_deep():
    assert merge({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 5}}) == {
        "a": {"b": 5, "c": 2},
        "d": 3,
    }


def test_cli_rejudge_and_fork(tmp_path, openai_server):
    import re

    from click.testing import CliRunner
    from test_cli import judge_or_debater, write_experiment

    from playground.cli import cli
    from playground.cli.fork import parse_sets

    openai_server.responder = judge_or_debater
    db = tmp_path / "log.db"
    exp = write_experiment(
        tmp_path / "e.toml",
        f'[roles.debater]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\n'
        f'[roles.judge]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\n',
    )
    invoke = lambda *a: CliRunner().invoke(cli, ["--db", str(db), *a], catch_exceptions=False)  # noqa: E731
    run_id = invoke("run", str(exp)).stdout.splitlines()[0]
    listing = invoke("transcripts", run_id).stdout
    transcript_id = re.match(r"([0-9a-f]{32})", listing).group(1)
    calls = len(openai_server.requests)
    result = invoke("rejudge", transcript_id, "--set", "roles.judge.temperature=0.5")
    assert result.exit_code == 0, result.output
    assert len(openai_server.requests) == calls + 1  # only the judge was asked
    new_run = re.search(r"run (\S+) ", result.stdout).group(1)
    assert f"(from {transcript_id})" in invoke("transcripts", new_run).stdout
    result = invoke(
        "fork", transcript_id, "--at-turn", "1", "--set", "options.rounds=3", "--set", "cache=false"
    )
    assert result.exit_code == 0, result.output
    assert "transcripts: 1   verdicts: 1 ok" in result.stdout
    assert invoke("fork", transcript_id, "--at-turn", "99").exit_code == 2
    assert parse_sets(("a.b=1", "a.c=x y", 'a.d="q"')) == {"a": {"b": 1, "c": "x y", "d": "q"}}
