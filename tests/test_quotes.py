"""Quote verification: exact, altered and missing quotes under strict and fuzzy checking, and
what the judge and the record see."""

import asyncio

import pytest

from playground.experiments import parse_experiment, run_experiment
from playground.protocols.quotes import counts, find_quotes, mark, normalise, verify
from playground.providers.scripted import ScriptedModel

PASSAGE = "The sky over Tarn was blue all summer. In August, the harbour froze — twice!"


@pytest.mark.parametrize(
    ("quote", "strict", "fuzzy"),
    [
        ("The sky over Tarn was blue all summer.", True, True),  # exact
        ("the SKY over tarn, was blue all summer", True, True),  # case and punctuation differ
        ("In August the harbour froze twice", True, True),  # dashes and "!" dropped
        ("The sky over Tarn was blue all sumer", False, True),  # a typo: fuzzy only
        ("The sky over Tarn was grey all summer", False, False),  # altered meaning
        ("The harbour never froze", False, False),  # missing
        ("", False, False),
    ],
)
def test_verify(quote, strict, fuzzy):
    assert verify(quote, PASSAGE, "strict") is strict
    assert verify(quote, PASSAGE, "fuzzy") is fuzzy
    assert verify(quote, PASSAGE, "off") is False
    assert verify(quote, None, "fuzzy") is False  # no passage: nothing can be verified


def test_normalise():
    assert normalise("  Hello,\n  “World” — again!  ") == "hello world again"


def test_mark_and_count():
    turn = "See <quote>blue all summer</quote> and <quote>it was green</quote>."
    assert mark(turn, PASSAGE, "strict") == (
        "See <v_quote>blue all summer</v_quote> and <u_quote>it was green</u_quote>."
    )
    assert mark(turn, PASSAGE, "off") == turn
    assert counts(turn, PASSAGE, "strict") == {"verified": 1, "unverified": 1}
    assert [q.text for q in find_quotes(turn, PASSAGE, "strict")] == [
        "blue all summer",
        "it was green",
    ]


def test_debate_with_strict_quotes_marks_what_the_judge_sees(store, tiny_dataset):
    def debater(messages, config):
        if "You are Debater A" in messages[0].content:
            return "The text says <quote>the sky over Tarn was blue</quote>."
        return "The text says <quote>the sky over Tarn was green</quote>."

    exp = parse_experiment(
        {
            "name": "q",
            "protocol": "debate",
            "dataset": str(tiny_dataset),
            "items": ["q1"],
            "options": {"rounds": 1, "quotes": "strict"},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    judge = ScriptedModel(["Answer: A\nConfidence: 90"])
    models = {
        "debater_a": ScriptedModel(debater),
        "debater_b": ScriptedModel(debater),
        "judge": judge,
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    [record] = store.iter_records(summary.info.id)
    seen = judge.calls[0][-1].content
    assert "<v_quote>the sky over Tarn was blue</v_quote>" in seen
    assert "<u_quote>the sky over Tarn was green</u_quote>" in seen
    assert "were checked and found in the source text" in seen
    quote_counts = {t.role: t.meta["quotes"] for t in record.turns if t.role != "judge"}
    assert quote_counts == {
        "debater_a": {"verified": 1, "unverified": 0},
        "debater_b": {"verified": 0, "unverified": 1},
    }
    assert record.turns[0].content.count("<quote>") == 1  # the stored turn is what was said
