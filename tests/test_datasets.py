"""Datasets: built-ins load, hand-written ground truth holds, and every bad input is refused
with one line naming where and what (the generator's answers: test_datasets_arithmetic.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from playground.datasets import (
    BUILTINS,
    DatasetError,
    list_builtins,
    load_dataset,
    parse_jsonl,
    write_jsonl,
)
from playground.records import Item

ROOT = Path(__file__).resolve().parents[1]


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


# --- built-ins -----------------------------------------------------------------------------


def test_every_builtin_loads():
    assert set(list_builtins()) == {f"builtin:{name}" for name in BUILTINS}
    for ref, description in list_builtins().items():
        dataset = load_dataset(ref)
        assert dataset.ref == ref and dataset.name == ref.removeprefix("builtin:")
        assert description and dataset.description.startswith(description)
        assert dataset.items and all(isinstance(item, Item) for item in dataset.items)
        assert len({item.id for item in dataset.items}) == len(dataset.items)


def test_reading_items_are_sound():
    items = load_dataset("builtin:reading").items
    assert len(items) >= 32
    assert [item.id for item in items] == [f"reading-{i:03d}" for i in range(1, len(items) + 1)]
    for item in items:
        assert item.passage and 80 <= len(item.passage.split()) <= 200, item.id
        assert len(item.answers) == 2, item.id
        assert not _same(item.answers[0], item.answers[1]), item.id
        assert item.meta["evidence"] in item.passage, item.id
        assert item.meta["topic"], item.id
    at_zero = sum(item.correct == 0 for item in items)
    assert 0.4 <= at_zero / len(items) <= 0.6
    assert len({item.meta["topic"] for item in items}) == len(items)


def test_package_data_ships_the_reading_file():
    from importlib import resources

    assert resources.files("playground.datasets").joinpath("data", "reading.jsonl").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "datasets/data/*.jsonl" in config["tool"]["setuptools"]["package-data"]["playground"]


# --- JSONL ---------------------------------------------------------------------------------


def test_jsonl_round_trip(tmp_path):
    items = load_dataset("builtin:reading").items[:3] + load_dataset("builtin:arithmetic?n=5").items
    path = tmp_path / "frozen.jsonl"
    write_jsonl(items, path)
    dataset = load_dataset(str(path))
    assert dataset.items == items and dataset.name == "frozen" and dataset.ref == str(path)


def test_jsonl_fixture_with_three_answers_and_blank_lines(tiny_dataset):
    tiny_dataset.write_text("\n" + tiny_dataset.read_text().replace("\n", "\n\n"))
    items = load_dataset(str(tiny_dataset)).items
    assert [i.id for i in items] == ["q1", "q2", "q3"] and items[1].answers[1] == "Four"
    assert items[0].passage and items[1].passage is None


GOOD = {"id": "q1", "question": "Which?", "answers": ["A", "B"], "correct": 0}


def _line(**changes) -> str:
    return json.dumps({k: v for k, v in {**GOOD, **changes}.items() if v is not ...})


KNOWN_FIELDS = "id, question, answers, correct, passage, meta"
BAD_LINES = [  # (lines of the file, the error after "<path> ")
    ([_line(correct=3)], "line 1: field 'correct': 3 is out of range for 2 answers"),
    (
        [_line(), '{"id": "q2" "question": "x"}'],
        "line 2: not valid JSON (Expecting ',' delimiter at column 13)",
    ),
    (
        [_line(id="q3"), "", _line(id="q2"), _line(id="q3")],
        "line 4: duplicate id 'q3' (first on line 1)",
    ),
    (
        [_line(answers=..., anwsers=["A", "B"])],
        "line 1: unknown field 'anwsers' (did you mean 'answers'?)",
    ),
    ([_line(colour="red")], f"line 1: unknown field 'colour' (known fields: {KNOWN_FIELDS})"),
    ([_line(question=...)], "line 1: field 'question' is missing"),
    ([_line(answers=["A"])], "line 1: field 'answers': needs at least 2 entries, got 1"),
    (
        [_line(answers=["A", 2])],
        "line 1: field 'answers[1]': input should be a valid string, got 2",
    ),
    ([_line(answers=["A", "A "])], "line 1: field 'answers': 'A ' appears twice (at 0 and 1)"),
    ([_line(answers=["A", " "])], "line 1: field 'answers[1]': must not be empty"),
    ([_line(correct="1")], "line 1: field 'correct': input should be a valid integer, got \"1\""),
    ([_line(correct=True)], "line 1: field 'correct': input should be a valid integer, got true"),
    (
        [_line(correct=-1)],
        "line 1: field 'correct': input should be greater than or equal to 0, got -1",
    ),
    ([_line(id="")], "line 1: field 'id': must not be empty"),
    (
        [_line(passage="")],
        "line 1: field 'passage': must not be empty (leave it out if there is no passage)",
    ),
    ([_line(meta=[1])], "line 1: field 'meta': input should be a valid dictionary, got [1]"),
    (['["q1", "Which?"]'], "line 1: expected a JSON object, got an array"),
    ([_line()[:-1] + ', "x": NaN}'], "line 1: not valid JSON (NaN is not allowed)"),
    (
        [_line(answers=["A\nB", "A\nB"])],
        "line 1: field 'answers': 'A\\nB' appears twice (at 0 and 1)",
    ),
]


@pytest.mark.parametrize(("lines", "expected"), BAD_LINES)
def test_bad_jsonl_line_gives_one_line(tmp_path, lines, expected):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(DatasetError) as caught:
        load_dataset(str(path))
    assert str(caught.value) == f"{path} {expected}"
    assert "\n" not in str(caught.value)


def test_bad_bytes_are_named_by_line():
    with pytest.raises(DatasetError, match=r"^x\.jsonl line 2: not valid UTF-8 \(byte 9\)$"):
        parse_jsonl(_line().encode() + b'\n{"id": "\xff"}\n', "x.jsonl")
    assert parse_jsonl(b"\xef\xbb\xbf" + _line().encode(), "bom.jsonl")[0].id == "q1"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("\n  \n", "no items (the file has only blank lines)"),
    ],
)
def test_missing_or_empty_file(tmp_path, content, expected):
    path = tmp_path / "data.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DatasetError) as caught:
        load_dataset(str(path))
    assert str(caught.value) == f"{path}: {expected}"


def test_directory_and_bare_builtin_name(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=r": is a directory, not a JSONL file$"):
        load_dataset(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError) as caught:
        load_dataset("reading")
    assert str(caught.value) == "reading: no such file (did you mean builtin:reading?)"


# --- references and parameters ----------------------------------------------------------------


ARITH = "builtin:arithmetic"
BAD_REFS = [
    (
        "builtin:nope",
        "builtin:nope: unknown built-in dataset 'nope' (known: arithmetic, consistency, reading, shortcut, tdd)",
    ),
    (
        "builtin:",
        "builtin:: unknown built-in dataset '' (known: arithmetic, consistency, reading, shortcut, tdd)",
    ),
    ("", "dataset reference is empty (use builtin:<name> or a JSONL path)"),
    (f"{ARITH}?n=abc", f"{ARITH}: parameter 'n': 'abc' is not a whole number"),
    (f"{ARITH}?n=0", f"{ARITH}: parameter 'n': 0 is out of range (1 to 5000)"),
    (f"{ARITH}?steps=9", f"{ARITH}: parameter 'steps': 9 is out of range (2 to 6)"),
    (
        f"{ARITH}?kind=geometry",
        f"{ARITH}: parameter 'kind': 'geometry' is not one of arithmetic, logic, mixed",
    ),
    (f"{ARITH}?n=5&stpes=3", f"{ARITH}: unknown parameter 'stpes' (known: n, steps, kind)"),
    (
        f"{ARITH}?seed=3",
        f"{ARITH}: unknown parameter 'seed' "
        "(the seed comes from the experiment, not the dataset reference)",
    ),
    (f"{ARITH}?n=5&n=6", f"{ARITH}: parameter 'n' is given twice"),
    (f"{ARITH}?n", f"{ARITH}: cannot read parameters 'n' (write name=value&name=value)"),
    (
        "builtin:reading?n=3",
        "builtin:reading: unknown parameter 'n' (this dataset takes no parameters)",
    ),
]


@pytest.mark.parametrize(("ref", "expected"), BAD_REFS)
def test_bad_reference_gives_one_line(ref, expected):
    with pytest.raises(DatasetError) as caught:
        load_dataset(ref)
    assert str(caught.value) == expected
    assert isinstance(caught.value, ValueError)


def test_error_messages_never_span_lines():
    assert str(DatasetError("a\nb")) == "a b"


def test_builtins_by_kind():
    from playground.datasets import list_builtins

    assert set(list_builtins("questions")) == {"builtin:reading", "builtin:arithmetic"}
    assert set(list_builtins("consistency")) == {"builtin:consistency"}
    assert set(list_builtins("approval")) == {"builtin:tdd", "builtin:shortcut"}
    assert len(list_builtins()) == 5
