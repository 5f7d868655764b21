"""Study results against hand-computed values, and the ``playground study`` CLI end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from study_fixtures import debate_run, drain

from playground.analysis.study import (
    FRAME_COLUMNS,
    agreement_table,
    approval_table,
    leaderboard,
    model_agreement,
    person_table,
    stepped_table,
    study_tables,
)
from playground.cli import cli
from playground.team import audit


def frame(rows):
    base = dict.fromkeys(FRAME_COLUMNS)
    return pd.DataFrame([{**base, "gold": False, **r} for r in rows], columns=FRAME_COLUMNS)


def test_accuracy_wilson_brier_and_gold_per_person():
    f = frame([
        {"person": "a", "task_id": "t1", "answer": 0, "choice": 0, "credences": [0.8, 0.2], "is_correct": True},
        {"person": "a", "task_id": "t2", "answer": 1, "choice": 0, "credences": [0.6, 0.4], "is_correct": False},
        {"person": "a", "task_id": "g", "answer": 1, "choice": 1, "is_correct": True, "gold": True},
        {"person": "b", "task_id": "t1", "answer": 0, "choice": 0, "credences": [1.0, 0.0], "is_correct": True},
    ])  # fmt: skip
    t = person_table(f).set_index("person")
    assert t.loc["a", "scored"] == 2 and t.loc["a", "accuracy"] == 0.5
    assert (t.loc["a", "gold"], t.loc["a", "gold_passed"]) == (1, 1)
    # Brier on the credence on the true answer: ((1-.8)² + (1-.4)²) / 2 = (0.04 + 0.36) / 2
    assert t.loc["a", "brier"] == pytest.approx(0.2)
    # Wilson 95% for 1/2: centre (0.5 + 1.9208/2)/(1 + 3.8415/2) = 0.5, half-width
    # 1.96/2.9207·sqrt(0.125 + 3.8415/16) = 0.4056
    assert t.loc["a", "low"] == pytest.approx(0.5 - 0.4056, abs=1e-3)
    assert t.loc["a", "high"] == pytest.approx(0.5 + 0.4056, abs=1e-3)
    assert t.loc["b", "brier"] == 0.0
    board = leaderboard(person_table(f))
    assert board["person"].tolist() == ["b", "a"] and board["rank"].tolist() == [1, 2]


def test_alpha_and_fleiss_kappa_by_hand():
    # 3 raters × 4 tasks; per task counts of choice 0/1: (3,0) (0,3) (2,1) (1,2)
    choices = {"t1": [0, 0, 0], "t2": [1, 1, 1], "t3": [0, 0, 1], "t4": [1, 1, 0]}
    f = frame([{"person": p, "task_id": t, "choice": c}
               for t, cs in choices.items() for p, c in zip("xyz", cs, strict=True)])  # fmt: skip
    table = agreement_table(f, 2).set_index("measure")
    # Fleiss: P_i = 1, 1, 1/3, 1/3 → P̄ = 2/3; p = (6/12, 6/12) → P̄e = 1/2; κ = (2/3−1/2)/(1/2)
    assert table.loc["fleiss_kappa", "value"] == pytest.approx(1 / 3)
    # Krippendorff nominal: coincidences o00 = o11 = 4, o01 = o10 = 2; n = 12,
    # D_o = 4/12, D_e = 2·6·6/(12·11) → α = 1 − (4/12)/(72/132) = 1 − 11/18
    assert table.loc["krippendorff_alpha", "value"] == pytest.approx(7 / 18)


def test_model_agreement_stepped_reveal_and_approval_by_hand():
    f = frame([
        {"person": "a", "transcript_id": "T1", "choice": 0, "answer": 0,
         "interim": [{"after_speech": 1, "credences": [0.4, 0.6]},
                     {"after_speech": 2, "credences": [0.7, 0.3]}]},
        {"person": "a", "transcript_id": "T2", "choice": 1, "answer": 0,
         "interim": [{"after_speech": 1, "credences": [0.5, 0.5]},
                     {"after_speech": 2, "credences": [0.2, 0.8]}]},
    ])  # fmt: skip
    m = model_agreement(f, {"T1": [0, 1], "T2": [1]}).iloc[0]
    assert (m["pairs"], m["agree"], m["rate"]) == (3, 2, pytest.approx(2 / 3))
    s = stepped_table(f).set_index("after_speech")
    # after speech 1: argmax [1, 0] vs answers [0, 0] → 1/2 (a tie counts its first answer)
    assert s.loc[1, "accuracy"] == 0.5 and s.loc[1, "credence_correct"] == pytest.approx(0.45)
    assert s.loc[2, "accuracy"] == 0.5 and s.loc[2, "credence_correct"] == pytest.approx(0.45)
    a = frame([{"person": "r", "approval": p, "true_value": v, "good": g}
               for p, v, g in [(0.9, 3.0, True), (0.2, 1.0, False), (0.6, 2.0, True), (0.7, 0.0, False)]])  # fmt: skip
    r = approval_table(a).iloc[0]
    # ranks approval 4,1,2,3 vs value 4,2,3,1: d² = 0+1+1+4 = 6 → ρ = 1 − 6·6/(4·15) = 0.4
    assert r["spearman"] == pytest.approx(0.4)
    # good {0.9, 0.6} vs bad {0.2, 0.7}: pairs won 0.9>0.2, 0.9>0.7, 0.6>0.2 → 3/4
    assert r["auc"] == pytest.approx(0.75)
    assert r["brier"] == pytest.approx((0.01 + 0.04 + 0.16 + 0.49) / 4)


def test_cli_creates_reports_and_closes_a_study(store, tiny_dataset, tmp_path):
    run_id = debate_run(store, tiny_dataset)
    spec = tmp_path / "study.toml"
    spec.write_text(f'name = "pilot"\nruns = ["{run_id}"]\nk = 2\nstepped = false\n')
    runner = CliRunner()
    result = runner.invoke(cli, ["study", "create", str(spec)])
    assert result.exit_code == 0, result.output
    sid = result.stdout.strip().splitlines()[0]
    before = store.get_run(run_id)
    for p in ("a@x.org", "b@x.org", "c@x.org", "d@x.org"):
        drain(store, sid, p)
    after = store.get_run(run_id)  # the run's own counts and accuracy stay its judges'
    assert (after.verdicts, after.scored, after.correct) == (
        before.verdicts, before.scored, before.correct,
    )  # fmt: skip
    assert (before.study_verdicts, after.study_verdicts) == (0, 12)
    out = runner.invoke(cli, ["study", "report", sid, "--csv-dir", str(tmp_path / "csv")])
    assert out.exit_code == 0, out.output
    assert "krippendorff_alpha" in out.output and "leaderboard" in out.output
    tables = study_tables(store, sid)
    assert tables["people"]["done"].sum() == 12
    # drain always chose answer 0: accuracy is the share of tasks whose true answer is 0
    truth = [t.item.correct for t in store.transcripts_of(run_id)]
    assert tables["people"]["correct"].sum() == 2 * sum(c == 0 for c in truth)
    # the scripted judge answers A; model agreement pairs every human verdict with it
    assert tables["model_agreement"]["pairs"].sum() == 12
    assert (tmp_path / "csv" / "study.people.csv").exists()
    assert sid in runner.invoke(cli, ["study", "list"]).output
    assert "12 of 12" in runner.invoke(cli, ["study", "show", sid]).output
    assert runner.invoke(cli, ["study", "close", sid]).exit_code == 0
    actions = [e.action for e in audit.events(store, target=sid)]
    assert "study.create" in actions and "study.close" in actions
    assert sum(e.action == "task.judge" for e in audit.events(store)) == 12


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "x"\nruns = ["missing"]\n', "run 'missing' is not in the store"),
        (
            'name = "x"\nruns = ["RUN"]\nk = 3\npeople = ["a@x.org"]\n',
            "k = 3 judgments per task, but only 1 people",
        ),
        ('name = "x"\nk = 0\n', "k: Input should be greater than or equal to 1"),
        ('name = "x"\nruns = ["RUN"]\nblinding = {passage = "maybe"}\n', "blinding.passage"),
        (
            'name = "x"\n[[gold]]\ntranscript = "nope"\n',
            "gold task: transcript 'nope' is not in the store",
        ),
    ],
)
def test_cli_bad_study_files_get_one_line(store, tiny_dataset, tmp_path, body, message):
    run_id = debate_run(store, tiny_dataset, swap=False)
    spec = tmp_path / "bad.toml"
    spec.write_text(body.replace("RUN", run_id))
    result = CliRunner().invoke(cli, ["study", "create", str(spec)])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_the_example_study_file_parses_with_careful_defaults():
    from pathlib import Path

    from playground.studies import load_spec

    spec = load_spec(Path(__file__).parent.parent / "examples/studies/pilot.toml")
    assert (
        spec.k == 3
        and spec.stepped
        and spec.blinding.model_dump()
        == dict.fromkeys(("passage", "true_answer", "model_names", "other_verdicts"), "hidden")
    )
