"""Each consistency family's metric against values computed by hand, and the strict
probability parser."""

import pytest

from playground.protocols.consistency import metrics
from playground.protocols.consistency.elicit import parse_probability


def test_negation():
    assert metrics.negation(0.7, 0.4) == {"violation": 0.1}
    assert metrics.negation(0.25, 0.75) == {"violation": 0.0}


def test_paraphrase_is_max_minus_min():
    assert metrics.paraphrase([0.2, 0.5, 0.35]) == {"violation": 0.3, "n": 3}
    with pytest.raises(ValueError):
        metrics.paraphrase([0.4])


def test_conjunction_bounds_and_sum_rule():
    # P(A)=.6, P(B)=.5: A∧B must lie in [.1, .5], A∨B in [.6, 1], and A∨B + A∧B = 1.1
    m = metrics.conjunction(0.6, 0.5, 0.6, 0.4)
    assert m == {"and_bound": 0.1, "or_bound": 0.2, "sum_gap": 0.1, "violation": 0.2}
    coherent = metrics.conjunction(0.6, 0.5, 0.3, 0.8)
    assert coherent == {"and_bound": 0.0, "or_bound": 0.0, "sum_gap": 0.0, "violation": 0.0}
    # below the lower Fréchet bound: P(A∧B) = 0 with P(A)+P(B)-1 = .5
    low = metrics.conjunction(0.9, 0.6, 0.0, 0.95)
    assert low["and_bound"] == 0.5 and low["or_bound"] == 0.0 and low["sum_gap"] == 0.55


def test_conditional_product_rule():
    assert metrics.conditional(0.5, 0.8, 0.3) == {"violation": 0.1}
    assert metrics.conditional(0.5, 0.8, 0.4) == {"violation": 0.0}


def test_monotonicity_spearman():
    # decreasing: ranks of -x are 4,3,2,1; of p 4,2,3,1; sum d^2 = 2; rho = 1 - 12/60 = .8
    m = metrics.monotonicity([1, 2, 3, 4], [0.9, 0.7, 0.8, 0.1], "decreasing")
    assert m == {"spearman": 0.8, "violation": 0.1, "n": 4}
    assert metrics.monotonicity([1, 2, 3], [0.1, 0.5, 0.9], "decreasing")["violation"] == 1.0
    assert metrics.monotonicity([1, 2, 3], [0.1, 0.5, 0.9], "increasing")["violation"] == 0.0
    # ties: ranks of p are 1.5, 1.5, 3 → rho = .866..., violation .0669...
    tied = metrics.monotonicity([1, 2, 3], [0.2, 0.2, 0.6], "increasing")
    assert tied["spearman"] == pytest.approx(0.8660254, abs=1e-6)
    constant = metrics.monotonicity([1, 2, 3], [0.5, 0.5, 0.5], "increasing")
    assert constant["violation"] is None and constant["spearman"] is None


def test_judge_disagreement_and_credence_shift():
    m = metrics.judge((0, 0.8), {"swap": (1, 0.6), "rename": (0, 0.7), "paraphrase": (0, None)})
    # swap flips and gives the base choice .4 (shift .4); rename shifts .1; paraphrase no credence
    assert m["flips"] == {"swap": True, "rename": False, "paraphrase": False}
    assert m["disagreement"] == pytest.approx(1 / 3)
    assert m["credence_shift"] == pytest.approx(0.25)
    assert m["violation"] == m["disagreement"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Probability: 0.7", 0.7),
        ("probability : 70%", 0.7),
        ("Probability: 85", 0.85),
        ("**Probability:** .25", 0.25),
        ("0.4", 0.4),
        ("I think so.\nProbability: 0\n", 0.0),
        ("Probability: 0.6\nProbability: 0.6", 0.6),
    ],
)
def test_probability_parses(text, expected):
    assert parse_probability(text).probability == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Very likely.", "no 'Probability: X' found"),
        ("There is a 70 percent chance.", "no 'Probability: X' found"),
        ("Probability: 0.6\nProbability: 0.8", "conflicting probabilities: 0.6, 0.8"),
        ("Probability: 150", "probability out of range (give 0–1 or 0–100%)"),
        ("", "no 'Probability: X' found"),
    ],
)
def test_probability_refuses_to_guess(text, reason):
    e = parse_probability(text)
    assert e.probability is None and e.status == "unparseable" and e.reason == reason
