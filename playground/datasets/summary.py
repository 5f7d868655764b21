"""What a loaded dataset holds, at a glance: counts, how many answers its items have, where the
true answer sits, and a sample item (``playground datasets inspect``)."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

from ..records import Item
from . import Dataset


class DatasetSummary(BaseModel):
    """Counts over a dataset's items; histograms map a value to how many items have it."""

    ref: str
    name: str
    description: str
    items: int
    with_passage: int = Field(description="Items with a passage (debaters see it, judges not).")
    without_truth: int = Field(description="Items with no true answer (``correct`` null).")
    answer_counts: dict[int, int] = Field(description="Number of answers → items.")
    correct_positions: dict[int, int] = Field(
        description="Index of the true answer in ``answers`` → items (a skew shows an order bias)."
    )
    meta_keys: dict[str, int] = Field(description="``meta`` key → items that have it.")
    sample: list[Item]


def summarize(dataset: Dataset, sample: int = 1) -> DatasetSummary:
    items = dataset.items
    meta: Counter[str] = Counter(key for item in items for key in item.meta)
    return DatasetSummary(
        ref=dataset.ref,
        name=dataset.name,
        description=dataset.description,
        items=len(items),
        with_passage=sum(item.passage is not None for item in items),
        without_truth=sum(item.correct is None for item in items),
        answer_counts=dict(sorted(Counter(len(item.answers) for item in items).items())),
        correct_positions=dict(
            sorted(Counter(i.correct for i in items if i.correct is not None).items())
        ),
        meta_keys=dict(sorted(meta.items())),
        sample=items[:sample],
    )
