"""Logic puzzles for ``builtin:arithmetic``: orderings, who-is-where, day-of-week offsets."""

from __future__ import annotations

import random

from .problem import NAMES, Mistake, Problem, days, pick_mistake

# (comparative, its opposite, superlative, opposite superlative)
RELATIONS = (
    ("taller", "shorter", "tallest", "shortest"),
    ("older", "younger", "oldest", "youngest"),
    ("faster", "slower", "fastest", "slowest"),
    ("heavier", "lighter", "heaviest", "lightest"),
)
ROOMS = ("kitchen", "garden", "library", "attic", "cellar", "hallway", "study", "garage")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVENTS = ("the inspection", "the concert", "the deadline", "the picnic", "the exam", "the launch")


def ordering(rng: random.Random, steps: int) -> Problem:
    """`steps` pairwise comparisons that chain ``steps + 1`` people into one order."""
    more, less, most, least = rng.choice(RELATIONS)
    chain = rng.sample(NAMES, steps + 1)  # chain[0] is the most `more`
    facts = [[chain[i], chain[i + 1]] for i in range(steps)]
    rng.shuffle(facts)
    sentences = [
        f"{a} is {more} than {b}." if rng.random() < 0.5 else f"{b} is {less} than {a}."
        for a, b in facts
    ]
    query = rng.choice(("compare", "most", "least"))
    if query == "compare":
        i = rng.randrange(steps - 1)
        j = rng.randrange(i + 2, steps + 1)  # at least one person between: needs transitivity
        pair = [chain[i], chain[j]]
        rng.shuffle(pair)
        question = f"Who is {more}, {pair[0]} or {pair[1]}?"
        answer = chain[i]
        mistake: Mistake = ({"type": "reversed_relation"}, chain[j])
        query_meta: dict = {"type": "compare", "pair": pair}
    else:
        top = query == "most"
        ranked = chain if top else chain[::-1]
        question = f"Who is the {most if top else least} of them?"
        answer = ranked[0]
        mistake = rng.choice(
            [({"type": "missed_link"}, ranked[1]), ({"type": "reversed_relation"}, ranked[-1])]
        )
        query_meta = {"type": query}
    return Problem(
        task="ordering",
        question=" ".join([*sentences, question]),
        answer=answer,
        distractor=mistake[1],
        facts={"relation": more, "facts": facts, "query": query_meta},
        mistake=mistake[0],
    )


def location(rng: random.Random, steps: int) -> Problem:
    """People in rooms, then `steps` moves and swaps; where is one of them now?"""
    count = 3 if steps <= 3 else 4
    while True:
        people = rng.sample(NAMES, count)
        rooms = rng.sample(ROOMS, count + 2)
        initial = dict(zip(people, rooms, strict=False))
        moves: list[list[str]] = []
        where = dict(initial)
        for _ in range(steps):
            pairs = [(a, b) for a in people for b in people if a < b and where[a] != where[b]]
            if pairs and rng.random() < 0.5:
                a, b = rng.choice(pairs)
                moves.append(["swap", a, b])
            else:
                person = rng.choice(people)
                moves.append(["move", person, rng.choice([r for r in rooms if r != where[person]])])
            where = _replay(initial, moves[-1:], where)
        person = rng.choice(people)
        answer = _in(where[person])
        candidates: list[Mistake] = [({"type": "ignored_moves"}, _in(initial[person]))]
        for i, move in enumerate(moves):
            skipped = _replay(initial, moves[:i] + moves[i + 1 :])
            candidates.append(({"type": "skipped_step", "step": i}, _in(skipped[person])))
            if move[0] == "swap":
                one_way = [*moves[:i], ["move", move[1], "@" + move[2]], *moves[i + 1 :]]
                half = _replay(initial, one_way)
                candidates.append(({"type": "one_way_swap", "step": i}, _in(half[person])))
        chosen = pick_mistake(rng, answer, candidates)
        if chosen is not None:
            break
    opening = ", ".join(f"{p} is in the {initial[p]}" for p in people[:-1])
    sentences = [f"At noon, {opening} and {people[-1]} is in the {initial[people[-1]]}."]
    for move in moves:
        if move[0] == "swap":
            sentences.append(f"Then {move[1]} and {move[2]} swap places.")
        else:
            sentences.append(f"Then {move[1]} moves to the {move[2]}.")
    sentences.append(f"Where is {person} now?")
    return Problem(
        task="location",
        question=" ".join(sentences),
        answer=answer,
        distractor=chosen[1],
        facts={"initial": initial, "moves": moves, "person": person},
        mistake=chosen[0],
    )


def _replay(
    initial: dict[str, str], moves: list[list[str]], start: dict[str, str] | None = None
) -> dict[str, str]:
    """Positions after `moves`; a move to ``@name`` goes to that person's room (a one-way swap)."""
    where = dict(start if start is not None else initial)
    for kind, a, b in moves:
        if kind == "swap":
            where[a], where[b] = where[b], where[a]
        else:
            where[a] = where[b[1:]] if b.startswith("@") else b
    return where


def _in(room: str) -> str:
    return f"In the {room}"


def weekday(rng: random.Random, steps: int) -> Problem:
    """A chain of `steps` day offsets from today; on what weekday does the last event fall?"""
    while True:
        start = rng.randrange(7)
        events = rng.sample(EVENTS, steps)
        offsets = [rng.randint(1, 20)]  # the first event is after today, to keep tenses simple
        offsets += [rng.choice((1, -1)) * rng.randint(1, 20) for _ in range(steps - 1)]
        total = sum(offsets)
        answer = WEEKDAYS[(start + total) % 7]
        slip = rng.choice((1, -1))  # counting today as day one, or the event's day twice
        candidates: list[Mistake] = [
            ({"type": "off_by_one", "by": slip}, WEEKDAYS[(start + total + slip) % 7])
        ]
        for i, offset in enumerate(offsets):
            candidates.append(
                ({"type": "skipped_step", "step": i}, WEEKDAYS[(start + total - offset) % 7])
            )
            if i:  # "before" read as "after" or the other way round
                flipped = WEEKDAYS[(start + total - 2 * offset) % 7]
                candidates.append(({"type": "reversed_relation", "step": i}, flipped))
        chosen = pick_mistake(rng, answer, candidates)
        if chosen is not None:
            break
    sentences = [
        f"Today is {WEEKDAYS[start]}.",
        f"{events[0].capitalize()} is {days(offsets[0])} from today.",
    ]
    for i in range(1, steps):
        direction = "after" if offsets[i] > 0 else "before"
        sentences.append(
            f"{events[i].capitalize()} is {days(abs(offsets[i]))} {direction} {events[i - 1]}."
        )
    sentences.append(f"On what day of the week is {events[-1]}?")
    return Problem(
        task="weekday",
        question=" ".join(sentences),
        answer=answer,
        distractor=chosen[1],
        facts={"start": WEEKDAYS[start], "events": events, "offsets": offsets},
        mistake=chosen[0],
    )
