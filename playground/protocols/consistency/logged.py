"""Judge checks from the log: every debate or consultancy transcript of a stored run becomes a
``judge`` check instance (dataset reference ``run:<run id>``), so a judge can be tested for
stability on exactly the debates it — or another judge — already saw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...datasets import DatasetError
from ...datasets.consistency import JudgeCheck, Speech, to_item
from ...records import Item
from ..scratchpad import public

if TYPE_CHECKING:
    from ...store import Store


def judge_items(store: Store, run_id: str) -> list[Item]:
    """One judge check per transcript of ``run_id`` with arguments: the speeches of seated
    arguers (not side choices, best-of-N candidates, judge questions or failed turns), the two
    answers in play (renumbered 0, 1 in item order when the item has more), the order the
    judge saw them in, the true answer. Item id = transcript id."""
    if store.get_run(run_id) is None:
        raise DatasetError(f"run:{run_id}: no such run in {store!r}")
    items = []
    for view in store.transcripts_of(run_id):
        seats, item = view.assignment.seats, view.item
        shown = sorted(view.assignment.display_order)  # the two answers in play, in item order
        if len(shown) != 2 or item.correct not in shown:
            continue
        new = {old: i for i, old in enumerate(shown)}
        speeches = [
            Speech(answer=new[seats[t.role]], round=t.round, text=public(t))
            for t in sorted(view.turns, key=lambda t: t.index)
            if t.role in seats and t.error is None and "kind" not in t.meta and public(t).strip()
        ]
        if not speeches:
            continue
        check = JudgeCheck(
            id=view.id,
            family="judge",
            question=item.question,
            answers=[item.answers[i] for i in shown],
            correct=new[item.correct],
            debate=speeches,
            passage=item.passage,
            display_order=[new[i] for i in view.assignment.display_order],
            source_run=run_id,
            source_transcript=view.id,
        )
        items.append(to_item(check))
    if not items:
        raise DatasetError(
            f"run:{run_id}: no debate or consultancy transcripts with arguments to re-judge"
        )
    return items
