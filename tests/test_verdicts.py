"""Verdict parsing: what counts as a choice, and what never does."""

import pytest

from playground.protocols.verdicts import parse_verdict
from playground.records import Verdict, score

SHOWN = [1, 0]  # label A shows answer 1, label B shows answer 0


@pytest.mark.parametrize(
    ("text", "choice", "credences"),
    [
        ("Answer: A\nConfidence: 80", 1, [0.2, 0.8]),
        ("Answer: B\nConfidence: 90%", 0, [0.9, 0.1]),
        ("**Answer:** B\n**Confidence:** 0.75", 0, [0.75, 0.25]),
        ("I weighed both.\nFinal answer: (A)\nConfidence: 100", 1, [0.0, 1.0]),
        ("B", 0, None),
        ("**A**.", 1, None),
        ("Answer A is weak but Answer: B\nConfidence: 60", 0, [0.6, 0.4]),
    ],
)
def test_choice_and_credences(text, choice, credences):
    verdict = parse_verdict(text, SHOWN, 2)
    assert verdict.status == "ok"
    assert verdict.choice == choice
    assert verdict.credences == (pytest.approx(credences) if credences else None)
    assert verdict.raw == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Both debaters made good points.", "no 'Answer: X' choice found"),
        ("Answer: A\nAnswer: B", "conflicting choices: A, B"),
        ("answer: a good one, I think", "no 'Answer: X' choice found"),
        ("Answer: C\nConfidence: 70", "no 'Answer: X' choice found"),
        ("", "no 'Answer: X' choice found"),
    ],
)
def test_unparseable_is_never_scored(text, reason):
    verdict = parse_verdict(text, SHOWN, 2)
    assert verdict.status == "unparseable"
    assert verdict.choice is None
    assert verdict.reason == reason
    assert score(verdict, correct=0) is None
    assert score(verdict, correct=1) is None


def test_confidence_out_of_range_keeps_choice_without_credences():
    verdict = parse_verdict("Answer: A\nConfidence: 30", SHOWN, 2)
    assert (verdict.status, verdict.choice, verdict.credences) == ("ok", 1, None)
    assert verdict.reason == "confidence 30 is outside 50–100"


def test_undebated_answers_get_zero_credence():
    verdict = parse_verdict("Answer: B\nConfidence: 70", [2, 0], 3)
    assert verdict.choice == 0
    assert verdict.credences == pytest.approx([0.7, 0.0, 0.3])


def test_score():
    assert score(Verdict(status="ok", choice=1), 1) is True
    assert score(Verdict(status="ok", choice=0), 1) is False
    assert score(Verdict(status="error", reason="boom"), 1) is None
