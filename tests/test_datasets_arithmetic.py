"""The arithmetic/logic generator: deterministic, and every generated answer and distractor
recomputed from the question text alone by an independent parser."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from fractions import Fraction

from playground.datasets import load_dataset
from playground.records import Item


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
