"""The statistics under every table, against values worked out by hand."""

import math

import numpy as np
import pytest

from playground.analysis.ratings import resample_counts
from playground.stats import cohen_kappa, fleiss_kappa, pairwise_agreement, wilson


def test_wilson_seven_of_ten():
    # p = 0.7, z² = 3.8414588, n = 10: centre = (0.7 + 0.1920729) / 1.3841459 = 0.6444929,
    # half = 1.9599640 / 1.3841459 · sqrt(0.021 + 0.0096036) = 0.2477151
    low, high = wilson(7, 10)
    assert low == pytest.approx(0.396778, abs=1e-6)
    assert high == pytest.approx(0.892209, abs=1e-6)


def test_wilson_edges():
    low, high = wilson(0, 10)  # centre = half: the interval starts at exactly 0
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.277533, abs=1e-6)
    assert wilson(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_cohen_kappa_two_by_two():
    # 50 subjects: both yes 20, A yes/B no 5, A no/B yes 10, both no 15.
    # p_o = 35/50 = 0.7; A says yes 25/50, B 30/50: p_e = 0.5·0.6 + 0.5·0.4 = 0.5;
    # κ = (0.7 − 0.5) / (1 − 0.5) = 0.4
    a = ["y"] * 20 + ["y"] * 5 + ["n"] * 10 + ["n"] * 15
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa(["y", "y"], ["y", "y"]))  # p_e = 1: undefined


FLEISS_TABLE = np.array(
    [  # Fleiss (1971) as in the Wikipedia article: 10 subjects, 14 raters, 5 categories
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_kappa_textbook_example():
    # column sums 20, 28, 39, 21, 32 of 140: p_j = .142857 .2 .278571 .15 .228571,
    # P̄_e = Σ p_j² = 0.212755. Σ_i (Σ_j n_ij² − 14) = 182+46+56+80+60+84+44+32+52+52 = 688,
    # P̄ = 688 / (10 · 14 · 13) = 0.378022. κ = (0.378022 − 0.212755) / (1 − 0.212755) = 0.20993
    assert pairwise_agreement(FLEISS_TABLE) == pytest.approx(688 / 1820)
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.209930, abs=1e-6)


def test_fleiss_kappa_two_raters_matches_pairwise_agreement_when_all_agree():
    counts = np.array([[2, 0], [0, 2], [2, 0]])
    assert pairwise_agreement(counts) == 1.0
    assert fleiss_kappa(counts) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        fleiss_kappa(np.array([[2, 0], [1, 0]]))


def test_resampled_clusters_are_multinomial_draws():
    draws = resample_counts(7, reps=50, seed=1)
    assert draws.shape == (50, 7)
    assert (draws.sum(axis=1) == 7).all()
    assert draws.mean() == pytest.approx(1.0)
