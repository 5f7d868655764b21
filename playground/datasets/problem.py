"""Shared parts of generated problems: the `Problem` record, name pools and mistake picking."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

NAMES = (
    "Ada", "Bilal", "Chen", "Dara", "Elif", "Femi", "Gwen", "Hugo", "Ines", "Jonah", "Kiri",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tova", "Umar", "Vera",
    "Wen", "Xavi", "Yara", "Zane", "Aiko", "Bruno", "Cleo", "Dmitri",
)  # fmt: skip

Mistake = tuple[dict[str, Any], str]
"""A mistake's description (``{"type": ..., ...}``) and the wrong answer it leads to."""


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One generated question with its true answer, a distractor and how both were reached."""

    task: str
    question: str
    answer: str
    distractor: str
    facts: dict[str, Any]
    """Everything needed to recompute `answer` without the generator."""
    mistake: dict[str, Any]
    """The typical error that turns the facts into `distractor`."""


def pick_mistake(rng: random.Random, answer: str, candidates: list[Mistake]) -> Mistake | None:
    """A mistake whose result differs from `answer`, each kind of mistake equally likely."""
    wrong = [c for c in candidates if c[1] != answer]
    if not wrong:
        return None
    kind = rng.choice(sorted({m["type"] for m, _ in wrong}))
    return rng.choice([c for c in wrong if c[0]["type"] == kind])


def days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"
