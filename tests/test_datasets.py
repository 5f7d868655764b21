"""Datasets: built-ins load, hand-written ground truth holds, generated answers re-check from
the question text alone, and every bad input is refused with one line naming where and what."""

from __future__ import annotations

import json
import random
import re
import tomllib
from datetime import date, timedelta
from fractions import Fraction
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


# --- arithmetic: determinism -----------------------------------------------------------------


def _dump(ref: str, seed: int) -> list[dict]:
    return [item.model_dump() for item in load_dataset(ref, seed=seed).items]


def test_arithmetic_is_deterministic_and_leaves_global_random_alone():
    state = random.getstate()
    first = _dump("builtin:arithmetic?n=60", 3)
    assert random.getstate() == state
    assert first == _dump("builtin:arithmetic?n=60", 3)
    assert first[:20] == _dump("builtin:arithmetic?n=20", 3)  # item i does not depend on n
    other = _dump("builtin:arithmetic?n=60", 4)
    assert [i["question"] for i in first] != [i["question"] for i in other]
    assert not {i["id"] for i in first} & {i["id"] for i in other}


def test_arithmetic_defaults_and_ids_across_configurations():
    dataset = load_dataset("builtin:arithmetic")
    assert len(dataset) == 40 and "n=40, steps=3, kind=mixed, seed=0" in dataset.description
    assert {item.meta["steps"] for item in dataset.items} == {3}
    ids: set[str] = set()
    for query in ("kind=logic", "kind=arithmetic", "steps=4", "steps=4&kind=logic"):
        batch = {item.id for item in load_dataset(f"builtin:arithmetic?n=30&{query}").items}
        assert len(batch) == 30 and not ids & batch
        ids |= batch


# --- arithmetic: independent re-computation from the question text ---------------------------

SENTENCE = re.compile(r"(?<=[.?])\s+")
CONNECTIVE = re.compile(r"^(Then|Next,|After that,)\s+")
SPLIT = r"splits the (\w+) into (\d+) equal piles and keeps only one pile\."
OPPOSITE = {"taller": "shorter", "older": "younger", "faster": "slower", "heavier": "lighter"}
SUPERLATIVE = {
    "tallest": ("taller", True), "shortest": ("taller", False),
    "oldest": ("older", True), "youngest": ("older", False),
    "fastest": ("faster", True), "slowest": ("faster", False),
    "heaviest": ("heavier", True), "lightest": ("heavier", False),
}  # fmt: skip
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _total(start: int, ops: list[tuple[str, int]]) -> Fraction:
    value = Fraction(start)
    for sign, k in ops:
        value = {"+": value + k, "-": value - k, "*": value * k, "/": value / k}[sign]
    return value


def _check_word_problem(item: Item) -> tuple[str, str]:
    first, *middle, last = SENTENCE.split(item.question)
    name, start, obj = re.fullmatch(r"(\w+) has (\d+) (\w+)\.", first).groups()
    assert last == f"How many {obj} does {name} have now?"
    ops = []
    for sentence in middle:
        text = CONNECTIVE.sub("", sentence).removeprefix(name + " ")
        if m := re.fullmatch(r"(?:buys|finds|gets) (\d+) more(?: from a friend)?\.", text):
            ops.append(("+", int(m[1])))
        elif m := re.fullmatch(r"(?:gives (\d+) away|sells (\d+)|loses (\d+))\.", text):
            ops.append(("-", int(next(g for g in m.groups() if g))))
        elif m := re.fullmatch(rf"(doubles|triples|quadruples) the number of {obj}\.", text):
            ops.append(("*", {"doubles": 2, "triples": 3, "quadruples": 4}[m[1]]))
        elif (m := re.fullmatch(SPLIT, text)) and m[1] == obj:
            ops.append(("/", int(m[2])))
        else:
            raise AssertionError(f"unrecognised step {sentence!r}")
        value = _total(int(start), ops)
        assert value.denominator == 1 and value >= 0, "a real collection stays whole and >= 0"
    assert item.meta["start"] == int(start) and [tuple(op) for op in item.meta["ops"]] == ops
    answer = _total(int(start), ops)
    mistake, i = item.meta["mistake"], item.meta["mistake"].get("step")
    if mistake["type"] == "skipped_step":
        wrong_ops = ops[:i] + ops[i + 1 :]
    elif mistake["type"] == "reversed_operation":
        wrong_ops = [*ops[:i], ({"+": "-", "-": "+"}[ops[i][0]], ops[i][1]), *ops[i + 1 :]]
    else:
        assert mistake["type"] == "swapped_order"
        wrong_ops = [*ops[:i], ops[i + 1], ops[i], *ops[i + 2 :]]
    return str(answer), str(_total(int(start), wrong_ops))


def _check_ordering(item: Item) -> tuple[str, str]:
    *facts, question = SENTENCE.split(item.question)
    relation = item.meta["relation"]
    above: dict[str, set[str]] = {}
    for fact in facts:
        a, rel, b = re.fullmatch(r"(\w+) is (\w+) than (\w+)\.", fact).groups()
        big, small = (a, b) if rel == relation else (b, a)
        assert rel in (relation, OPPOSITE[relation])
        above.setdefault(big, set()).add(small)
        above.setdefault(small, set())
    changed = True
    while changed:  # transitive closure
        changed = False
        for below in above.values():
            extra = set().union(*(above[p] for p in below)) - below
            if extra:
                below |= extra
                changed = True
    ranked = sorted(above, key=lambda p: -len(above[p]))
    assert [len(above[p]) for p in ranked] == list(range(len(ranked) - 1, -1, -1)), "total order"
    mistake = item.meta["mistake"]["type"]
    if m := re.fullmatch(r"Who is (\w+), (\w+) or (\w+)\?", question):
        assert m[1] == relation and mistake == "reversed_relation"
        x, y = m[2], m[3]
        return (x, y) if y in above[x] else (y, x)
    word = re.fullmatch(r"Who is the (\w+) of them\?", question)[1]
    rel, top = SUPERLATIVE[word]
    assert rel == relation
    order = ranked if top else ranked[::-1]
    return order[0], order[1] if mistake == "missed_link" else order[-1]


def _check_location(item: Item) -> tuple[str, str]:
    opening, *steps, question = SENTENCE.split(item.question)
    clauses = re.split(r", | and ", opening.removeprefix("At noon, ").removesuffix("."))
    initial = dict(re.fullmatch(r"(\w+) is in the (\w+)", c).groups() for c in clauses)
    moves = []
    for step in steps:
        if m := re.fullmatch(r"Then (\w+) and (\w+) swap places\.", step):
            moves.append(("swap", m[1], m[2]))
        else:
            moves.append(("move", *re.fullmatch(r"Then (\w+) moves to the (\w+)\.", step).groups()))
    person = re.fullmatch(r"Where is (\w+) now\?", question)[1]
    assert item.meta["initial"] == initial and [tuple(m) for m in item.meta["moves"]] == moves

    def replay(moves, one_way: int | None = None) -> str:
        where = dict(initial)
        for n, (kind, a, b) in enumerate(moves):
            if kind == "move":
                where[a] = b
            elif n == one_way:  # a treated as moving to b's room while b stays put
                where[a] = where[b]
            else:
                where[a], where[b] = where[b], where[a]
        return f"In the {where[person]}"

    mistake, i = item.meta["mistake"]["type"], item.meta["mistake"].get("step")
    wrong = {
        "ignored_moves": lambda: f"In the {initial[person]}",
        "skipped_step": lambda: replay(moves[:i] + moves[i + 1 :]),
        "one_way_swap": lambda: replay(moves, one_way=i),
    }[mistake]()
    return replay(moves), wrong


def _check_weekday(item: Item) -> tuple[str, str]:
    today, *facts, question = SENTENCE.split(item.question)
    offset = {"today": 0}
    steps = []
    for fact in facts:
        m = re.fullmatch(r"The (\w+) is (\d+) days? (from|after|before) (?:the )?(\w+)\.", fact)
        event, k, direction, anchor = m[1], int(m[2]), m[3], m[4]
        assert (anchor == "today") == (direction == "from")
        step = -k if direction == "before" else k
        offset[event] = offset[anchor] + step
        steps.append(step)
    assert item.meta["offsets"] == steps
    target = re.fullmatch(r"On what day of the week is the (\w+)\?", question)[1]
    # 1 January 2024 was a Monday: count real calendar days instead of doing arithmetic mod 7.
    base = date(2024, 1, 1) + timedelta(days=DAY_NAMES.index(today[9:-1]))

    def day(shift: int) -> str:
        return DAY_NAMES[(base + timedelta(days=offset[target] + shift)).weekday()]

    mistake = item.meta["mistake"]
    i = mistake.get("step")
    shift = {
        "off_by_one": lambda: mistake["by"],
        "skipped_step": lambda: -steps[i],
        "reversed_relation": lambda: -2 * steps[i],
    }[mistake["type"]]()
    return day(0), day(shift)


CHECKS = {
    "word_problem": _check_word_problem,
    "ordering": _check_ordering,
    "location": _check_location,
    "weekday": _check_weekday,
}


def test_generated_answers_recompute_from_the_question_text():
    tasks: dict[str, int] = {}
    at_zero = total = 0
    for kind in ("arithmetic", "logic", "mixed"):
        for steps in range(2, 7):
            for seed in (0, 11):
                ref = f"builtin:arithmetic?n=20&steps={steps}&kind={kind}"
                for item in load_dataset(ref, seed=seed).items:
                    task = item.meta["task"]
                    assert item.meta["steps"] == steps
                    answer, distractor = CHECKS[task](item)
                    assert item.answers[item.correct] == answer, item.id
                    assert item.answers[1 - item.correct] == distractor, item.id
                    assert answer != distractor, item.id
                    tasks[task] = tasks.get(task, 0) + 1
                    at_zero += item.correct == 0
                    total += 1
    assert total == 600 and min(tasks.values()) >= 50, tasks
    assert 0.4 <= at_zero / total <= 0.6


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
