"""Each judge metric on small logs worked out by hand, including the always-first judge run
through the real runner, and the shapes later protocols will write (consultancy, panels,
per-round credences, checks)."""

import asyncio
import math
from datetime import date

import pandas as pd
import pytest
from analysis_fixtures import load, record, turn
from test_debate import experiment, run

from playground.analysis import Filters, apply, choices, load_frames
from playground.analysis import metrics as m
from playground.analysis.agreement import agreement
from playground.analysis.calibration import credence_curves
from playground.analysis.costs import cost_by_role, cost_by_run, latency_summary
from playground.protocols.amplification.report import checks
from playground.stats import wilson
from playground.store.tags import set_run_tags


def test_accuracy_counts_unparseable_and_error_apart(store):
    records = [
        record("r1", "q1", choice=0),
        record("r1", "q2", choice=0),
        record("r1", "q3", choice=1),
        record("r1", "q4", choice=None, status="unparseable"),
        record("r1", "q5", choice=None, status="error"),
    ]
    row = m.accuracy(load(store, records).verdicts).iloc[0]
    counts = row[["verdicts", "unparseable", "error", "n", "k"]].tolist()
    assert counts == [5, 1, 1, 3, 2]
    assert row["rate"] == pytest.approx(2 / 3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson(2, 3))


def test_always_first_judge_shows_full_position_bias_and_chance_accuracy(store, tiny_dataset):
    # the real runner, positions swapped, a judge that always answers "A" (the first shown)
    summary, _ = run(experiment(tiny_dataset, swap_positions=True), store,
                     judge_replies=["Answer: A\nConfidence: 90"])  # fmt: skip
    frames = load_frames(store, [summary.info.id])
    bias = m.position_bias(frames.verdicts).iloc[0]
    assert bias["pairs"] == 3
    assert bias["first_pick"] == 1.0 and bias["first_pick_all"] == 1.0
    assert bias["consistent"] == 0.0 and bias["both_first"] == 3
    assert bias["paired_accuracy"] == 0.5
    assert (bias["first_low"], bias["first_high"]) == pytest.approx(wilson(6, 6))
    acc = m.accuracy(frames.verdicts).iloc[0]
    assert acc["rate"] == 0.5 and acc["n"] == 6


def test_accuracy_by_seat_of_the_correct_answer(store):
    # the judge always believes debater_a
    records = [
        record("r1", "q1", choice=0, correct=0),  # debater_a holds the true answer
        record("r1", "q2", choice=0, correct=0),
        record("r1", "q3", choice=0, correct=1),  # debater_b holds it
        record("r1", "q4", choice=1, correct=1, display=(1, 0)),  # a defends 1, correct
    ]
    table = m.seat_accuracy(load(store, records).verdicts).set_index("correct_seat")
    assert table.loc["debater_a", "n"] == 3 and table.loc["debater_a", "rate"] == 1.0
    assert table.loc["debater_b", "n"] == 1 and table.loc["debater_b", "rate"] == 0.0


def test_consultancy_splits_into_correct_and_incorrect_assigned_halves(store):
    def consult(item, answer, correct, choice):
        return record("c1", item, choice=choice, correct=correct, protocol="consultancy",
                      seats={"consultant": answer}, debaters=("consultant/m", "unused/m"))  # fmt: skip

    records = [
        consult("q1", 0, 0, 0), consult("q2", 1, 1, 1), consult("q3", 1, 1, 0),  # honest
        consult("q4", 1, 0, 1), consult("q5", 0, 1, 1),  # dishonest, judge sees through one
    ]  # fmt: skip
    frames = load(store, records)
    table = m.accuracy(frames.verdicts).set_index("condition")
    honest = table.loc["consultancy · correct-assigned"]
    dishonest = table.loc["consultancy · incorrect-assigned"]
    assert (honest["n"], honest["k"]) == (3, 2)
    assert (dishonest["n"], dishonest["k"]) == (2, 1)
    seats = set(frames.verdicts["correct_seat"])
    assert seats == {"consultant", "none"}


def panel_records():
    # 4 transcripts judged by judge_1 (model j1) and judge_2 (model j2), correct answer 0;
    # j1 chooses 0,0,1,1 and j2 0,1,1,1; credences on the chosen answer as listed
    j1 = [(0, 0.8), (0, 0.9), (1, 0.6), (1, 0.7)]
    j2 = [(0, 0.6), (1, 0.9), (1, 0.8), (1, 0.7)]
    records = []
    for i, ((c1, p1), (c2, p2)) in enumerate(zip(j1, j2, strict=True)):
        tid = f"panel-t{i}"
        for role, model, c, p, index in (
            ("judge_1", "j1", c1, p1, 2),
            ("judge_2", "j2", c2, p2, 3),
        ):
            cred = [p, 1 - p] if c == 0 else [1 - p, p]
            records.append(record("p1", f"q{i}", choice=c, credences=cred, judge_role=role,
                                  judge=model, transcript_id=tid, judge_index=index))  # fmt: skip
    return records


def test_panel_agreement_kappas_and_credence_spread(store):
    summary, pairs, spread = agreement(load(store, panel_records()).verdicts)
    s = summary.iloc[0]
    # 4 subjects, counts (answer 0, answer 1): [2,0] [1,1] [0,2] [0,2]:
    # P_i = 1, 0, 1, 1 → P̄ = 0.75; p = (3/8, 5/8) → P̄_e = 34/64; κ = 0.21875 / 0.46875
    assert (s["subjects"], s["ratings"], s["m"]) == (4, 8, 2)
    assert s["percent_agreement"] == pytest.approx(0.75)
    assert s["fleiss_kappa"] == pytest.approx(0.21875 / 0.46875)
    # Cohen: p_o = 3/4; j1 says 0 half the time, j2 a quarter: p_e = 0.5; κ = 0.5
    row = pairs.iloc[0]
    assert row["subjects"] == 4 and row["percent_agreement"] == 0.75
    assert row["cohen_kappa"] == pytest.approx(0.5)
    # credence on the correct answer (0): t0 0.8 / 0.6, t1 0.9 / 0.1, t2 0.4 / 0.2, t3 0.3 / 0.3
    ranges = dict(zip(spread["transcript_id"], spread["range"], strict=True))
    assert ranges == pytest.approx(
        {"panel-t0": 0.2, "panel-t1": 0.8, "panel-t2": 0.2, "panel-t3": 0.0}
    )
    assert spread.set_index("transcript_id").loc["panel-t0", "sd"] == pytest.approx(
        0.2 / math.sqrt(2)
    )
    assert s["median_range"] == pytest.approx(0.2)


def readings_records():
    # per-round judge readings as turn meta; correct answer 0
    def transcript(item, r1, r2, final_choice, final_cred):
        shared = [
            turn(0, "debater_a", "deb/a", 1), turn(1, "debater_b", "deb/b", 1),
            turn(2, "judge", "judge/x", 1, meta={"credences": r1}),
            turn(3, "debater_a", "deb/a", 2), turn(4, "debater_b", "deb/b", 2),
            turn(5, "judge", "judge/x", 2, meta={"credences": r2}),
            turn(6, "checker", "check/m", None,
                 meta={"check": "consistency", "family": f"f{item[-1]}", "passed": item != "q1"}),
        ]  # fmt: skip
        return record("rr", item, choice=final_choice, credences=final_cred, shared=shared)

    return [
        transcript("q1", [0.6, 0.4], [0.8, 0.2], 0, [0.9, 0.1]),
        transcript("q2", [0.5, 0.5], [0.3, 0.7], 1, [0.4, 0.6]),
    ]


def test_round_accuracy_and_credence_curves(store):
    frames = load(store, readings_records())
    table = m.round_accuracy(frames.readings, frames.verdicts).set_index("round")
    # round 1: q1 right, q2 a tie (not scored); round 2: q1 right, q2 wrong; final: 1 of 2
    assert (table.loc["1", "n"], table.loc["1", "k"]) == (1, 1)
    assert (table.loc["2", "n"], table.loc["2", "k"]) == (2, 1)
    assert (table.loc["final", "n"], table.loc["final", "k"]) == (2, 1)
    curves = credence_curves(frames.readings, frames.verdicts).set_index("round")
    assert curves.loc["1", "mean"] == pytest.approx(0.55)
    assert curves.loc["2", "mean"] == pytest.approx(0.55)
    assert curves.loc["final", "mean"] == pytest.approx(0.65)


def test_checks_per_family(store):
    frames = load(store, readings_records())
    table = checks(frames.readings, frames.verdicts).set_index("family")
    assert (table.loc["f1", "n"], table.loc["f1", "k"], table.loc["f1", "rate"]) == (1, 1, 1.0)
    assert (table.loc["f2", "n"], table.loc["f2", "k"]) == (1, 0)
    assert set(table["check"]) == {"consistency"}


def test_nothing_to_report_gives_empty_tables(store):
    frames = load(store, [record("r1", "q1", choice=0)])
    assert agreement(frames.verdicts)[0].empty
    assert m.round_accuracy(frames.readings, frames.verdicts).empty
    assert checks(frames.readings, frames.verdicts).empty
    assert m.position_bias(frames.verdicts).iloc[0]["pairs"] == 0


def test_cost_tokens_and_latency(store):
    records = [
        record("r1", "q1", choice=0),
        record("r1", "q2", choice=0, shared=[
            turn(0, "debater_a", "deb/a", 1, input_tokens=None, output_tokens=None, cost_usd=None,
                 latency_ms=300.0),
            turn(1, "debater_b", "deb/b", 1),
        ]),
        record("r2", "q1", choice=1),
    ]  # fmt: skip
    frames = load(store, records)
    runs = cost_by_run(frames.usage).set_index("run_id")
    assert runs.loc["r1", "turns"] == 6 and runs.loc["r2", "turns"] == 3
    assert runs.loc["r1", "input_tokens"] == 50 and runs.loc["r1", "unknown_tokens"] == 1
    assert (
        runs.loc["r1", "cost_usd"] == pytest.approx(0.005) and runs.loc["r1", "unknown_cost"] == 1
    )
    roles = cost_by_role(frames.usage).set_index(["run_id", "role"])
    assert roles.loc[("r1", "debater_a"), "mean_latency_ms"] == pytest.approx(200.0)
    latency = latency_summary(frames.usage).set_index("role")
    assert latency.loc["judge", "turns"] == 3
    assert latency.loc["judge", "p50_ms"] == pytest.approx(100, rel=0.025)  # bucket resolution
    assert latency.loc["debater_a", "p99_ms"] == pytest.approx(300, rel=0.025)


def test_frame_agrees_with_the_records(store, tiny_dataset):
    summary, _ = run(experiment(tiny_dataset, swap_positions=True), store,
                     judge_replies=["Answer: B\nConfidence: 70", "Nothing clear"])  # fmt: skip
    frame = load_frames(store).verdicts.set_index("verdict_id")
    records = list(store.iter_records(summary.info.id))
    assert len(frame) == len(records) == 6
    for r in records:
        row = frame.loc[r.verdict_id]
        assert row["status"] == r.verdict.status
        assert (None if pd.isna(row["choice"]) else row["choice"]) == r.verdict.choice
        assert (None if pd.isna(row["is_correct"]) else bool(row["is_correct"])) == r.is_correct
        assert row["correct"] == r.correct and row["swapped"] == r.assignment.swapped
        assert row["display_order"] == r.assignment.display_order
        assert row["seats"] == r.assignment.seats
        assert row["credences"] == r.verdict.credences
        assert row["judge_model"] == r.provenance.roles["judge"].model
        assert row["model.debater_a"] == r.provenance.roles["debater_a"].model
        assert row["prompt.judge"].startswith("debate/judge@")
        assert row["option.rounds"] == "2" and row["option.swap_positions"] == "true"
        assert row["turn_index"] == r.verdict.turn_index


def test_filters(store):
    records = [
        record("r1", "q1", choice=0, judge="judge/a"),
        record("r2", "q1", choice=1, judge="judge/b", options={"rounds": 3}),
        record("r3", "q1", choice=0, judge="judge/a", dataset="other"),
    ]
    frames = load(store, records)
    set_run_tags(store, "r1", ["baseline", "x"])
    set_run_tags(store, "r2", ["x"])
    frames = load_frames(store)
    pick = lambda **kw: sorted(apply(frames, Filters(**kw)).verdicts["run_id"])  # noqa: E731
    assert pick() == ["r1", "r2", "r3"]
    assert pick(tags=["x"]) == ["r1", "r2"]
    assert pick(tags=["x"], exclude_tags=["baseline"]) == ["r2"]
    assert pick(models={"judge": ["judge/a"]}) == ["r1", "r3"]
    assert pick(options={"rounds": ["3"]}) == ["r2"]
    assert pick(datasets=["other"]) == ["r3"]
    assert pick(runs=["r1", "r3"], models={"judge": ["judge/b"]}) == []
    assert pick(since=date(2026, 3, 2)) == []
    assert pick(until=date(2026, 3, 1)) == ["r1", "r2", "r3"]
    c = choices(frames)
    assert c["tags"] == ["baseline", "imported", "x"]
    assert c["models"]["judge"] == ["judge/a", "judge/b"]
    assert c["options"]["rounds"] == ["1", "3"]
    selected = apply(frames, Filters(models={"judge": ["judge/a"]}))
    assert set(selected.usage["run_id"]) == {"r1", "r3"}
    assert set(selected.usage.loc[selected.usage["role"] == "judge", "model"]) == {"judge/a"}


def judge_reply(answer):
    return lambda messages, config: f"Answer: {answer}\nConfidence: 70"


def test_real_panel_interim_rounds_and_a_rejudge(store, tiny_dataset):
    """What the protocols record today: a judge panel, judge_each_round's interim judgements,
    and a re-judge run: agreement pairs the re-judge with its parent transcript."""
    from test_debate import debater

    from playground.experiments import parse_experiment, run_experiment
    from playground.experiments.fork import fork
    from playground.providers.scripted import ScriptedModel

    exp = parse_experiment(
        {
            "name": "panel", "protocol": "debate", "dataset": str(tiny_dataset), "seed": 1,
            "options": {"rounds": 2, "judges": ["judge", "judge_b"], "judge_each_round": True},
            "roles": {"debater": {"model": "scripted/d"}, "judge": {"model": "scripted/one"},
                      "judge_b": {"model": "scripted/two"}},
        }
    )  # fmt: skip
    models = {
        "debater_a": ScriptedModel(debater, name="d"),
        "debater_b": ScriptedModel(debater, name="d"),
        "judge": ScriptedModel(judge_reply("A"), name="one"),  # always the first shown
        "judge_b": ScriptedModel(judge_reply("B"), name="two"),  # always the second
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    frames = load_frames(store)
    assert len(frames.verdicts) == 6 and set(frames.verdicts["verdict_role"]) == {
        "judge",
        "judge_b",
    }
    summary_row, pairs, _ = agreement(frames.verdicts)
    assert summary_row.iloc[0]["subjects"] == 3 and summary_row.iloc[0]["percent_agreement"] == 0
    rounds = m.round_accuracy(frames.readings, frames.verdicts).set_index("round")
    assert rounds.loc["1", "n"] == 6  # an interim judgement per judge and transcript
    assert rounds.loc["1", "k"] == 3  # exactly one of "first" and "second" is right each time
    # re-judge the first transcript with two other judges in the panel's seats
    first = frames.verdicts["transcript_id"].iloc[0]
    others = {
        "debater_a": models["debater_a"],  # seated but never called: their turns are copied
        "debater_b": models["debater_b"],
        "judge": ScriptedModel(judge_reply("A"), name="three"),
        "judge_b": ScriptedModel(judge_reply("A"), name="four"),
    }
    again = asyncio.run(fork(store, first, models=others))
    frames = load_frames(store)
    rejudged = frames.verdicts[frames.verdicts["run_id"] == again.info.id]
    assert list(rejudged["subject"]) == [first] * 2 and list(rejudged["parent_id"]) == [first] * 2
    summary_row, pairs, _ = agreement(frames.verdicts)
    assert summary_row.iloc[0]["ratings"] == 8  # 3 transcripts × 2 judges + 2 re-judges
    new = pairs[
        pairs["judge_1"].str.contains("three|four") | pairs["judge_2"].str.contains("three|four")
    ]
    assert len(new) == 5 and set(new["subjects"]) == {1}  # each pairs with the others once
    three_four = new[
        new["judge_1"].str.contains("three|four") & new["judge_2"].str.contains("three|four")
    ]
    assert three_four["percent_agreement"].tolist() == [1.0]
    # the re-judge run only paid for its judges' calls (copied turns are not counted again)
    roles = cost_by_role(frames.usage)
    own = roles[roles["run_id"] == again.info.id].set_index("role")["turns"].to_dict()
    assert own == {"judge": 1, "judge_b": 1}
    assert summary.info.id in set(roles["run_id"])


def test_consultancy_conditions_come_from_the_protocol(store, tiny_dataset):
    from playground.experiments import parse_experiment, run_experiment
    from playground.providers.scripted import ScriptedModel

    exp = parse_experiment(
        {
            "name": "consult", "protocol": "consultancy", "dataset": str(tiny_dataset),
            "options": {"rounds": 1},
            "roles": {"consultant": {"model": "scripted/c"}, "judge": {"model": "scripted/j"}},
        }
    )  # fmt: skip
    models = {
        "consultant": ScriptedModel(["I am right."], name="c"),
        "judge": ScriptedModel(judge_reply("A"), name="j"),
    }
    asyncio.run(run_experiment(exp, store, models=models))
    table = m.accuracy(load_frames(store).verdicts)
    assert set(table["condition"]) == {
        "consultancy · consultant_correct",
        "consultancy · consultant_incorrect",
    }
    assert table["n"].sum() == 6


def test_amplification_style_checks(store):
    def check_turn(index, check, depth, **meta):
        return turn(index, "checker", "check/m", None, meta={"step": "check", "check": check,
                                                              "depth": depth, **meta})  # fmt: skip

    shared = [
        check_turn(0, "justification", 1, status="ok", flagged=True),
        check_turn(1, "justification", 1, status="ok", flagged=False),
        check_turn(2, "justification", 1, status="unparseable", flagged=None),
        check_turn(3, "direct", 0, status="ok", flagged=False),
        check_turn(4, "resample", 1, status="error", flagged=None, copied=True),  # a fork's copy
    ]
    frames = load(store, [record("amp", "q1", choice=0, seats={}, shared=shared,
                                 protocol="amplification")])  # fmt: skip
    table = checks(frames.readings, frames.verdicts).set_index(["check", "family"])
    row = table.loc[("justification", "depth 1")]
    assert (row["n"], row["k"], row["unreadable"]) == (2, 1, 1)
    assert table.loc[("direct", "depth 0"), "k"] == 0
    assert ("resample", "depth 1") not in table.index


def test_verdict_frame_has_the_documented_columns(store):
    from playground.analysis.frame import VERDICT_COLUMNS

    frames = load(store, [record("r1", "q1", choice=0)])
    assert set(VERDICT_COLUMNS) <= set(frames.verdicts.columns)
    extra = set(frames.verdicts.columns) - set(VERDICT_COLUMNS)
    assert {c.split(".")[0] for c in extra} == {"seat", "model", "prompt", "option"}


def test_amplification_runs_through_every_section(store, tmp_path):
    """The amplification protocol as it records today: its check flags reach the checks
    table by tree depth, and no section fails on a protocol without debaters."""
    from amplification_world import World, write_items
    from test_amplification import experiment as amp_experiment
    from test_amplification import run as amp_run

    from playground.analysis import build_report

    amp_run(amp_experiment(write_items(tmp_path / "amp.jsonl")), store, World(bad={"4+1"}))
    frames = load_frames(store)
    assert set(frames.verdicts["verdict_role"]) == {"recombiner", "direct"}
    sections = {s.key: s for s in build_report(frames, reps=20)}
    checks = sections["checks"].tables["checks"].set_index(["check", "family"])
    assert checks["k"].sum() >= 3  # the bad node is flagged by every check
    assert {"justification", "resample", "direct"} <= set(checks.index.get_level_values(0))
    assert sections["ratings"].tables["debaters"].empty


def test_a_verdict_role_without_a_seat_takes_its_model_from_its_turn(store):
    r = record("r1", "q1", choice=0, judge_role="direct", judge="answerer/m")
    del r.provenance.roles["direct"]  # as amplification's direct answer: no seat of its own
    row = load(store, [r]).verdicts.iloc[0]
    assert row["judge_model"] == "answerer/m" and row["judge"] == "direct: answerer/m"
