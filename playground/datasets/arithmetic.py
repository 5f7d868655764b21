"""The ``builtin:arithmetic`` generator: seeded multi-step word problems and logic puzzles.

Each item's answer is computed here and its distractor comes from a typical mistake (a skipped
step, two steps swapped, a sign slip, a reversed relation, an off-by-one). ``meta`` keeps the
facts needed to recompute the answer independently and the ``mistake`` behind the distractor.
Every item has its own ``random.Random`` seeded from (kind, steps, seed, index), so item *i* is
the same whatever ``n`` is, and no global random state is touched.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

from ..records import Item
from . import logic
from .problem import NAMES, Mistake, Problem, pick_mistake

KINDS = ("arithmetic", "logic", "mixed")
LOGIC_TASKS = ("ordering", "location", "weekday")
OBJECTS = ("marbles", "stickers", "stamps", "shells", "coins", "pencils", "postcards", "beads")

Op = tuple[str, int]

_ADD = ("{name} buys {k} more.", "{name} finds {k} more.", "{name} gets {k} more from a friend.")
_SUB = ("{name} gives {k} away.", "{name} sells {k}.", "{name} loses {k}.")
_MUL = {
    2: "{name} doubles the number of {obj}.",
    3: "{name} triples the number of {obj}.",
    4: "{name} quadruples the number of {obj}.",
}
_DIV = "{name} splits the {obj} into {k} equal piles and keeps only one pile."
_THEN = ("Then", "Next,", "After that,")
_INVERSE = {"+": "-", "-": "+"}


def generate(*, n: int, steps: int, kind: str, seed: int) -> list[Item]:
    """`n` items of `kind` (arithmetic, logic or mixed) with `steps` steps each."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return [_item(index, steps=steps, kind=kind, seed=seed) for index in range(n)]


def _item(index: int, *, steps: int, kind: str, seed: int) -> Item:
    # A string seed is hashed with SHA-512 by random.seed: stable across runs and platforms.
    rng = random.Random(f"builtin:arithmetic/{kind}/{steps}/{seed}/{index}")
    if kind == "arithmetic" or (kind == "mixed" and rng.random() < 0.5):
        task = "word_problem"
    else:
        task = rng.choice(LOGIC_TASKS)
    problem = TASKS[task](rng, steps)
    correct = rng.randrange(2)
    answers = [problem.distractor, problem.distractor]
    answers[correct] = problem.answer
    return Item(
        id=f"arithmetic-{kind}-steps{steps}-seed{seed}-{index + 1:04d}",
        question=problem.question,
        answers=answers,
        correct=correct,
        passage=None,
        meta={"task": task, "steps": steps, **problem.facts, "mistake": problem.mistake},
    )


def word_problem(rng: random.Random, steps: int) -> Problem:
    """A collection that grows and shrinks through `steps` operations."""
    while True:
        name, obj = rng.choice(NAMES), rng.choice(OBJECTS)
        start = rng.randint(5, 30)
        ops: list[Op] = []
        value = start
        for _ in range(steps):
            op = _random_op(rng, value)
            ops.append(op)
            value = _apply(value, op)
        answer = str(value)
        chosen = pick_mistake(rng, answer, _mistakes(start, ops))
        if chosen is not None:
            break
    sentences = [f"{name} has {start} {obj}.", _phrase(rng, ops[0], name, obj)]
    then = ""
    for op in ops[1:]:
        then = rng.choice([t for t in _THEN if t != then])
        sentences.append(f"{then} {_phrase(rng, op, name, obj)}")
    sentences.append(f"How many {obj} does {name} have now?")
    mistake, distractor = chosen
    return Problem(
        task="word_problem",
        question=" ".join(sentences),
        answer=answer,
        distractor=distractor,
        facts={"start": start, "ops": [list(op) for op in ops]},
        mistake=mistake,
    )


def _random_op(rng: random.Random, value: int) -> Op:
    kinds = ["+"]
    if value >= 2:
        kinds.append("-")
    if value <= 40:
        kinds.append("*")
    divisors = [d for d in (2, 3, 4, 5) if value % d == 0 and value >= 2 * d]
    if divisors:
        kinds.append("/")
    match rng.choice(kinds):
        case "+":
            return ("+", rng.randint(2, 25))
        case "-":
            return ("-", rng.randint(1, value - 1))
        case "*":
            return ("*", rng.randint(2, 4) if value <= 15 else 2)
        case _:
            return ("/", rng.choice(divisors))


def _apply(value: int, op: Op) -> int:
    result = _run(value, [op])
    assert result.denominator == 1, "ops are drawn so that the true total stays whole"
    return int(result)


def _run(start: int, ops: list[Op]) -> Fraction:
    value = Fraction(start)
    for sign, k in ops:
        match sign:
            case "+":
                value += k
            case "-":
                value -= k
            case "*":
                value *= k
            case "/":
                value /= k
    return value


def _mistakes(start: int, ops: list[Op]) -> list[Mistake]:
    """Wrong totals from one slip each; only whole, non-negative results are plausible."""
    tried: list[tuple[dict, list[Op]]] = []
    for i, (sign, k) in enumerate(ops):
        tried.append(({"type": "skipped_step", "step": i}, ops[:i] + ops[i + 1 :]))
        if sign in _INVERSE:  # a sign slip; mixing up x and / gives absurd totals, not mistakes
            flipped = [*ops[:i], (_INVERSE[sign], k), *ops[i + 1 :]]
            tried.append(({"type": "reversed_operation", "step": i}, flipped))
        if i + 1 < len(ops) and ops[i + 1] != ops[i]:
            swapped = [*ops[:i], ops[i + 1], ops[i], *ops[i + 2 :]]
            tried.append(({"type": "swapped_order", "step": i}, swapped))
    out: list[Mistake] = []
    for mistake, wrong_ops in tried:
        value = _run(start, wrong_ops)
        if value.denominator == 1 and value >= 0:
            out.append((mistake, str(int(value))))
    return out


def _phrase(rng: random.Random, op: Op, name: str, obj: str) -> str:
    sign, k = op
    match sign:
        case "+":
            template = rng.choice(_ADD)
        case "-":
            template = rng.choice(_SUB)
        case "*":
            template = _MUL[k]
        case _:
            template = _DIV
    return template.format(name=name, k=k, obj=obj)


TASKS: dict[str, Callable[[random.Random, int], Problem]] = {
    "word_problem": word_problem,
    "ordering": logic.ordering,
    "location": logic.location,
    "weekday": logic.weekday,
}
