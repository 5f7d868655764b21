"""Brier score, ECE and the reliability diagram on five verdicts worked out by hand."""

import numpy as np
import pytest
from analysis_fixtures import load, record

from playground.analysis.calibration import (
    bin_of,
    brier,
    calibration_summary,
    ece,
    reliability,
)

# (choice, credences) with the correct answer 0: confidence is the chosen answer's credence
POINTS = [
    (0, [0.9, 0.1]),  # confidence 0.90, right, p_correct 0.90
    (1, [0.2, 0.8]),  # confidence 0.80, wrong, p_correct 0.20
    (0, [0.6, 0.4]),  # confidence 0.60, right, p_correct 0.60
    (0, [0.7, 0.3]),  # confidence 0.70, right, p_correct 0.70
    (1, [0.45, 0.55]),  # confidence 0.55, wrong, p_correct 0.45
]


def test_brier_and_ece_by_hand():
    p_correct = np.array([0.9, 0.2, 0.6, 0.7, 0.45])
    # (0.1² + 0.8² + 0.4² + 0.3² + 0.55²) / 5 = (0.01 + 0.64 + 0.16 + 0.09 + 0.3025) / 5
    assert brier(p_correct) == pytest.approx(1.2025 / 5)
    conf = np.array([0.9, 0.8, 0.6, 0.7, 0.55])
    hit = np.array([1, 0, 1, 1, 0])
    # ten bins: every point alone, ECE = mean |hit − conf| = (0.1 + 0.8 + 0.4 + 0.3 + 0.55) / 5
    assert ece(conf, hit, bins=10) == pytest.approx(2.15 / 5)
    # two bins: all in [0.5, 1]: |3/5 − 3.55/5| = 0.11
    assert ece(conf, hit, bins=2) == pytest.approx(0.11)
    assert list(bin_of(np.array([0.0, 0.5, 0.99, 1.0]), 10)) == [0, 5, 9, 9]


def test_calibration_tables_from_verdicts(store):
    records = [record("r1", f"q{i}", choice=c, credences=p) for i, (c, p) in enumerate(POINTS)]
    records += [
        record("r1", "q-unparseable", choice=None, status="unparseable"),
        record("r1", "q-no-credence", choice=0),  # ok but no credences: not in calibration
    ]
    frames = load(store, records)
    row = calibration_summary(frames.verdicts).iloc[0]
    assert row["n"] == 5
    assert row["confidence"] == pytest.approx(0.71) and row["accuracy"] == pytest.approx(0.6)
    assert row["overconfidence"] == pytest.approx(0.11)
    assert row["brier"] == pytest.approx(0.2405)
    assert row["ece"] == pytest.approx(0.43)
    bins = reliability(frames.verdicts)
    assert list(bins["bin_low"]) == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    assert list(bins["accuracy"]) == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert bins["n"].sum() == 5
