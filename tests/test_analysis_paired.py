"""Cluster-aware accuracy and paired comparisons against values worked out by hand: the
clustered standard error, a cluster bootstrap that cannot move, McNemar's exact p and the
paired difference between two judges on the same items; in the report and `playground report`."""

import math

import numpy as np
import pytest
from analysis_fixtures import load, record
from click.testing import CliRunner

from playground.analysis import build_report
from playground.analysis.paired import clustered_accuracy, clustered_se, paired_comparisons
from playground.cli import cli
from playground.prompting.stats import paired_bootstrap
from playground.store import Store
from playground.store.importer import import_records


def test_clustered_standard_error_by_hand():
    # mean .5; per-cluster deviation sums a: +1, b: −1, c: 0 → Σ² = 2, G = 3, n = 6
    x = np.array([1, 1, 0, 0, 1, 0])
    assert clustered_se(x, np.array(list("aabbcc"))) == pytest.approx(math.sqrt(2 * 3 / 2) / 6)
    assert clustered_se(x, np.array(list("aaaaaa"))) == 0.0
    # one cluster per value: Σ (x − x̄)² · n/(n − 1) / n² = the usual √(s²/n)
    assert clustered_se(x, np.arange(6)) == pytest.approx(x.std(ddof=1) / math.sqrt(6))


def swapped(item, first_right, second_right, **kw):
    """An item judged as shown and position-swapped; answer 0 is true."""
    return [
        record("r1", item, choice=0 if first_right else 1, **kw),
        record("r1", item, choice=0 if second_right else 1, display=(1, 0), swapped=True, **kw),
    ]


def test_clustered_accuracy_treats_an_item_and_its_swap_as_one_cluster(store):
    records = swapped("q1", True, True) + swapped("q2", False, False) + swapped("q3", True, False)
    row = clustered_accuracy(load(store, records).verdicts, reps=300).iloc[0]
    assert (row["n"], row["k"], row["rate"], row["clusters"]) == (6, 3, 0.5, 3)
    assert row["se_clustered"] == pytest.approx(math.sqrt(3) / 6)
    assert row["se_naive"] == pytest.approx(math.sqrt(0.25 / 5))
    assert 0.0 <= row["boot_low"] < 0.5 < row["boot_high"] <= 1.0


def test_a_cluster_bootstrap_of_identical_clusters_cannot_move(store):
    # every item: right as shown, wrong when swapped. Each cluster's mean is .5, so every
    # resample of whole items gives .5, while resampling single verdicts would not
    records = [v for q in ("q1", "q2", "q3", "q4") for v in swapped(q, True, False)]
    verdicts = load(store, records).verdicts
    row = clustered_accuracy(verdicts, reps=200).iloc[0]
    assert (row["boot_low"], row["boot_high"]) == (0.5, 0.5)
    assert row["se_clustered"] == 0.0
    with pytest.raises(ValueError, match="no column 'passage'"):
        clustered_accuracy(verdicts, cluster="passage")


def panel_records():
    # two judges on the same six transcripts, answer 0 true: judge_1 right on q0–q4, judge_2 on
    # q0–q1 only
    records = []
    for i in range(6):
        for role, judge, right in (("judge_1", "j1", i < 5), ("judge_2", "j2", i < 2)):
            records.append(record("p", f"q{i}", choice=0 if right else 1, judge_role=role,
                                  judge=judge, transcript_id=f"t{i}",
                                  judge_index=2 if role == "judge_1" else 3))  # fmt: skip
    return records


def panel(store):
    return load(store, panel_records())


def test_paired_comparison_of_two_judges_by_hand(store):
    (row,) = paired_comparisons(panel(store).verdicts, reps=500).to_dict("records")
    assert "j1" in row["arm_a"] and "j2" in row["arm_b"]
    assert row["pairs"] == 6 and row["both_ok"] == 6
    assert (row["accuracy_a"], row["accuracy_b"]) == pytest.approx((5 / 6, 2 / 6))
    assert row["difference"] == pytest.approx(-0.5)
    # discordant: q2, q3, q4 only judge_1 right, none only judge_2: p = 2 · (1/2)^3
    assert (row["a_only"], row["b_only"]) == (3, 0)
    assert row["mcnemar_p"] == pytest.approx(0.25)
    assert row["ci_low"] <= -0.5 <= row["ci_high"] <= 0.0


def test_paired_bootstrap_by_clusters_moves_pairs_together():
    # two clusters: in "x" B is right on both pairs and A wrong; in "y" both right. Any
    # resample is k copies of x and 2 − k of y: difference k/2 ∈ {0, .5, 1}
    a = [(True, False), (True, False), (True, True), (True, True)]
    b = [(True, True)] * 4
    low, high, used = paired_bootstrap(a, b, resamples=2000, seed=1, clusters=list("xxyy"))
    assert used == 2000 and (low, high) == (0.0, 1.0)
    with pytest.raises(ValueError, match="one entry per pair"):
        paired_bootstrap(a, b, clusters=["x"])


def test_paired_section_in_the_report_and_the_cli(store, tmp_path):
    sections = {s.key: s for s in build_report(panel(store), reps=50)}
    assert sections["paired"].tables["comparisons"].iloc[0]["mcnemar_p"] == pytest.approx(0.25)
    assert len(sections["paired"].tables["clustered_accuracy"]) == 2
    db = tmp_path / "l.db"
    import_records(Store(f"sqlite:///{db}"), panel_records())
    args = ["--db", str(db), "report", "--section", "paired", "--reps", "20"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "Clustered intervals and paired comparisons" in out.output
    assert "0.25" in out.output and "Judge accuracy" not in out.output
