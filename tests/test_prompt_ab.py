"""A/B runs of two prompt versions: both arms run the same items, assignments and seed; verdicts
pair up; only the verdicts the new prompt changes differ; the statistics match hand-computed
values; the ``playground prompts`` commands."""

import asyncio
import math

import pytest
from click.testing import CliRunner

from playground.cli import Context
from playground.cli.prompts import prompts
from playground.experiments import ExperimentError, parse_experiment
from playground.experiments.ab import find_ab, plan_ab, run_ab
from playground.experiments.pairs import compare_runs
from playground.prompting import check_messages, list_versions, save_version
from playground.prompting.stats import accuracy, mcnemar_exact, paired_bootstrap, paired_stats
from playground.prompts import get_prompt
from playground.providers.scripted import ScriptedModel, register_script
from playground.records import plan_key

MARK = "Prefer the second answer."


def new_judge(store, extra=MARK):
    judge = get_prompt("debate/judge")
    messages = [(r, c) for r, c in judge.messages]
    messages[-1] = (messages[-1][0], f"{messages[-1][1]}\n{extra}")
    template, check = check_messages("debate/judge", "judge", messages)
    assert check.ok
    version, _ = save_version(store, template, note="prefer B", parent=judge.hash)
    return version


def judge_reply(messages, config):
    """Picks A, except under the new prompt on the boats question, where it picks B."""
    text = messages[-1].content
    if MARK in text and "How many boats" in text:
        return "Answer: B\nConfidence: 90"
    return "Answer: A\nConfidence: 80"


def debater_reply(messages, config):
    return f"I argue from round {messages[0].content.count('Round') + 1}."


def models():
    return {
        "debater_a": ScriptedModel(debater_reply),
        "debater_b": ScriptedModel(debater_reply),
        "judge": ScriptedModel(judge_reply),
    }


def base(dataset, **extra):
    return parse_experiment(
        {
            "name": "ab",
            "protocol": "debate",
            "dataset": str(dataset),
            "seed": 11,
            "options": {"rounds": 2, "swap_positions": True},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
            **extra,
        }
    )


# -- statistics, by hand ----------------------------------------------------------------------------


def test_mcnemar_exact_matches_hand_computed_values():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 6) == pytest.approx(2 * (1 + 7) / 128)  # 0.125
    assert mcnemar_exact(6, 1) == mcnemar_exact(1, 6)
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(2, 10) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(3, 3) == 1.0  # capped


def test_bootstrap_interval_on_cases_worked_by_hand():
    # every pair: A wrong, B right → the difference is +1 in every resample
    always = [(True, False)] * 5, [(True, True)] * 5
    assert paired_bootstrap(*always) == (1.0, 1.0, 10_000)
    # two pairs, (A wrong, B right) and (both right): resamples give +1 (1/4), +0.5 (1/2) and
    # 0 (1/4), so the 95% percentile interval is [0, 1]
    low, high, used = paired_bootstrap([(True, False), (True, True)], [(True, True), (True, True)])
    assert (low, high, used) == (0.0, 1.0, 10_000)
    # the same seed gives the same interval
    a = [(True, i % 3 == 0) for i in range(30)]
    b = [(True, i % 2 == 0) for i in range(30)]
    assert paired_bootstrap(a, b, seed=4) == paired_bootstrap(a, b, seed=4)


def test_unparseable_and_error_are_never_correct_nor_wrong():
    # pair 1: A unparseable, B right; pair 2: both right; pair 3: A right, B error
    a = [(False, False), (True, True), (True, True)]
    b = [(True, True), (True, True), (False, False)]
    stats = paired_stats(a, b)
    assert stats.accuracy_a == 1.0 and stats.accuracy_b == 1.0  # over ok verdicts only
    assert stats.difference == 0.0
    assert (stats.both_ok, stats.a_only, stats.b_only, stats.mcnemar_p) == (1, 0, 0, 1.0)
    assert accuracy([(False, False)]) is None
    # no ok verdict in an arm: no difference, no interval
    none = paired_stats([(False, False)], [(True, True)])
    assert none.difference is None and none.ci_low is None and none.resamples == 0
    assert "no accuracy difference" in none.describe()


# -- pairing ----------------------------------------------------------------------------------------


def test_ab_pairs_same_items_seeds_and_assignments_and_only_new_prompt_changes(store, tiny_dataset):
    version = new_judge(store)
    plan = plan_ab(base(tiny_dataset), "judge", "debate/judge", version.pin[:21], store)
    assert plan.seats == ("judge",)
    arms = (plan.a, plan.b)
    assert {(e.seed, e.dataset, e.options["rounds"]) for e in arms} == {(11, str(tiny_dataset), 2)}
    result = asyncio.run(run_ab(plan, store, models=models()))

    records = {
        arm: list(store.iter_records(run))
        for arm, run in (("a", result.a.run_id), ("b", result.b.run_id))
    }
    keys = {
        arm: sorted(plan_key(r.item_id, r.assignment) for r in rs) for arm, rs in records.items()
    }
    assert keys["a"] == keys["b"] and len(keys["a"]) == 6  # 3 items × 2 positions, same plan
    for arm in "ab":
        assert {r.provenance.seed for r in records[arm]} == {11}
    # the debates are the same in both arms: arm B replayed arm A's debater calls from the cache
    speeches = {
        arm: {
            (r.item_id, r.assignment.swapped): [(t.role, t.content) for t in r.turns[:-1]]
            for r in rs
        }
        for arm, rs in records.items()
    }
    assert speeches["a"] == speeches["b"]
    assert all(t.cached for r in records["b"] for t in r.turns[:-1])
    assert not any(r.turns[-1].cached for r in records["b"])  # the judge's call is new
    judges = {arm: {r.turns[-1].prompt_hash for r in rs} for arm, rs in records.items()}
    assert judges == {"a": {get_prompt("debate/judge").hash}, "b": {version.hash}}

    # exactly the verdicts the new prompt changes differ
    assert {(p.item_id, p.assignment.swapped) for p in result.changed} == {
        ("q2", False),
        ("q2", True),
    }
    for p in result.pairs:
        assert p.a.choice == p.assignment.display_order[0]
        expected_b = p.assignment.display_order[1 if p.item_id == "q2" else 0]
        assert p.b.choice == expected_b
    # the statistics agree with the verdicts counted by hand
    right = {arm: [r.is_correct for r in rs] for arm, rs in records.items()}
    assert result.a.correct == sum(right["a"]) and result.b.correct == sum(right["b"])
    assert result.stats.accuracy_a == pytest.approx(sum(right["a"]) / 6)
    a_only = sum(1 for p in result.pairs if p.a.is_correct and not p.b.is_correct)
    b_only = sum(1 for p in result.pairs if p.b.is_correct and not p.a.is_correct)
    assert (result.stats.a_only, result.stats.b_only) == (a_only, b_only)
    assert result.stats.mcnemar_p == mcnemar_exact(a_only, b_only)
    assert result.warnings == [] and result.unpaired == (0, 0)
    assert result.seats == ("judge",)
    assert result.b.prompts["judge"] == version.pin

    # read back later: the same result, found by the A/B's tag
    assert find_ab(store, plan.ab_id) == (result.a.run_id, result.b.run_id)
    again = compare_runs(store, result.a.run_id, result.b.run_id)
    assert again.stats == result.stats and again.changed == result.changed


def test_debater_shorthand_pins_both_debaters(store, tiny_dataset):
    debater = get_prompt("debate/debater")
    messages = [(r, c) for r, c in debater.messages]
    messages[-1] = ("user", messages[-1][1] + " Be concise.")
    template, _ = check_messages("debate/debater", "debater", messages)
    version, _ = save_version(store, template)
    plan = plan_ab(base(tiny_dataset, limit=1), "debater", "debate/debater", version.pin, store)
    assert plan.seats == ("debater_a", "debater_b")
    assert {plan.b.roles[s].prompt for s in plan.seats} == {version.pin}
    assert plan.b.roles["judge"].prompt == plan.a.roles["judge"].prompt is None


def test_plan_errors(store, tiny_dataset):
    judge = get_prompt("debate/judge")
    with pytest.raises(ExperimentError, match="versions A and B are the same wording"):
        plan_ab(base(tiny_dataset), "judge", "debate/judge", f"debate/judge@{judge.hash}", store)
    with pytest.raises(ExperimentError, match="A/B role 'referee': not a role of debate"):
        plan_ab(base(tiny_dataset), "referee", "debate/judge", "debate/judge", store)
    with pytest.raises(ExperimentError, match="version B: no version 12345678"):
        plan_ab(base(tiny_dataset), "judge", "debate/judge", "debate/judge@12345678", store)


def test_compare_warns_when_runs_differ_in_more_than_the_prompt(store, tiny_dataset):
    version = new_judge(store)
    first = plan_ab(base(tiny_dataset), "judge", "debate/judge", version.pin, store)
    other = plan_ab(base(tiny_dataset, seed=12), "judge", "debate/judge", version.pin, store)
    run_a = asyncio.run(run_ab(first, store, models=models())).a.run_id
    run_b = asyncio.run(run_ab(other, store, models=models())).b.run_id
    result = compare_runs(store, run_a, run_b)
    assert any(w.startswith("the runs differ in seed: 11 vs 12") for w in result.warnings)


# -- CLI --------------------------------------------------------------------------------------------


def invoke(db, *args):
    result = CliRunner().invoke(prompts, list(args), obj=Context(str(db)), catch_exceptions=False)
    return result


def test_cli_list_show_diff_save_export(store, tmp_path):
    db = store.url.database
    version = new_judge(store)
    listed = invoke(db, "list", "--role", "judge")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert any(
        line.startswith(f"* debate/judge@{get_prompt('debate/judge').hash[:12]}") for line in lines
    )
    assert any(version.ref in line and "prefer B" in line for line in lines)
    assert not any("debate/debater" in line for line in lines)

    shown = invoke(db, "show", version.pin[:21])
    assert shown.exit_code == 0
    assert f"hash     {version.hash}" in shown.output
    assert f"parent   {get_prompt('debate/judge').hash}" in shown.output
    assert "uses     {answer_a}, {answer_b}, {question}, {transcript}" in shown.output
    assert MARK in shown.output

    diffed = invoke(db, "diff", "debate/judge", version.pin[:21])
    assert diffed.exit_code == 0 and f"+{MARK}" in diffed.output
    assert "same wording" in invoke(db, "diff", "debate/judge", "debate/judge").output

    exported = invoke(db, "export", version.pin[:21], "--dir", str(tmp_path))
    assert exported.exit_code == 0
    path = tmp_path / "debate" / "judge.toml"
    assert exported.output.strip() == str(path)
    # edit the exported file and save it back as a child version
    path.write_text(path.read_text().replace(MARK, "Prefer the first answer."))
    saved = invoke(db, "save", str(path), "--note", "from a file", "--parent", version.hash[:8])
    assert saved.exit_code == 0
    pin = saved.output.strip()
    [child] = [v for v in list_versions(store) if v.pin == pin]
    assert (child.parent_hash, child.note, child.source) == (version.hash, "from a file", "cli")

    bad = invoke(db, "show", "debate/judge@00000000")
    assert bad.exit_code == 2 and "no version 00000000 of prompt 'debate/judge'" in bad.output
    path.write_text(path.read_text().replace("{transcript}", "(none)"))
    refused = invoke(db, "save", str(path))
    assert refused.exit_code == 2 and "missing required variable {transcript}" in refused.output


def test_cli_ab_and_compare(store, tiny_dataset, tmp_path):
    db = store.url.database
    register_script("ab-debater", lambda: ScriptedModel(debater_reply))
    register_script("ab-judge", lambda: ScriptedModel(judge_reply))
    version = new_judge(store)
    experiment = tmp_path / "exp.toml"
    experiment.write_text(
        f"""
name = "cli-ab"
protocol = "debate"
dataset = "{tiny_dataset}"
seed = 5
[options]
rounds = 1
[roles.debater]
model = "scripted/ab-debater"
[roles.judge]
model = "scripted/ab-judge"
"""
    )
    result = invoke(db, "ab", str(experiment), "--role", "judge", "debate/judge", version.pin[:21])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "changed: 1 of 3 pairs" in out
    assert any(line.startswith("≠ q2") for line in out.splitlines())
    assert f"judge={version.ref}" in out
    assert "McNemar exact p = " in out and "paired bootstrap interval" in out
    runs = [r.id for r in reversed(store.list_runs())]
    compared = invoke(db, "compare", *runs)
    assert "changed: 1 of 3 pairs" in compared.output
    assert math.isfinite(float(out.split("McNemar exact p = ")[1].split()[0]))


# -- the embedded model -----------------------------------------------------------------------------


@pytest.mark.embedded
@pytest.mark.slow
def test_tiny_ab_on_the_embedded_model(store):
    version = new_judge(store, "Answer with the two lines only.")
    experiment = parse_experiment(
        {
            "name": "embedded-ab",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": 2,
            "options": {"rounds": 1},
            "roles": {
                "debater": {"model": "local/smollm2", "temperature": 0.7, "max_tokens": 32},
                "judge": {"model": "local/smollm2", "temperature": 0.0, "max_tokens": 16},
            },
        }
    )
    plan = plan_ab(experiment, "judge", "debate/judge", version.pin, store)
    result = asyncio.run(run_ab(plan, store))
    assert len(result.pairs) == 2 and result.unpaired == (0, 0)
    assert {p.item_id for p in result.pairs} == {"reading-001", "reading-002"}
    for p in result.pairs:
        assert p.a.status in ("ok", "unparseable") and p.b.status in ("ok", "unparseable")
    b_turns = [t for r in store.iter_records(result.b.run_id) for t in r.turns]
    assert all(t.cached for t in b_turns if t.role != "judge")  # the same debates, replayed
    assert result.a.ok + result.a.unparseable == result.b.ok + result.b.unparseable == 2
