"""Who judged, as an export shows it: a study participant's email (a human verdict's
``metrics.person`` and its seat's ``params.person``) becomes their pseudonymous rater id
(`playground.team.raters`: stable within one store, not reversible without it), unless the
export is asked for emails (``playground export --with-emails``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..records import Record
from ..store import Store
from ..team.raters import pseudonymiser

Rename = Callable[[str], str]


def renamer(store: Store, with_emails: bool = False) -> Rename | None:
    """email → what the export writes (None: keep emails, as asked)."""
    return None if with_emails else pseudonymiser(store)


def _metrics(metrics: dict[str, Any] | None, rename: Rename) -> dict[str, Any] | None:
    if not metrics or not isinstance(metrics.get("person"), str):
        return metrics
    return {**metrics, "person": rename(metrics["person"])}


def hide_person(record: Record, rename: Rename | None) -> Record:
    """The record with every participant's email replaced by ``rename`` of it."""
    if rename is None:
        return record
    verdict = record.verdict
    metrics = _metrics(verdict.metrics, rename)
    roles = record.provenance.roles
    changed = {
        name: seat.model_copy(
            update={"params": {**seat.params, "person": rename(seat.params["person"])}}
        )
        for name, seat in roles.items()
        if isinstance(seat.params.get("person"), str)
    }
    if metrics is verdict.metrics and not changed:
        return record
    provenance = record.provenance.model_copy(update={"roles": {**roles, **changed}})
    return record.model_copy(
        update={
            "verdict": verdict.model_copy(update={"metrics": metrics}),
            "provenance": provenance,
        }
    )


def hide_people(records: Iterable[Record], rename: Rename | None) -> Iterator[Record]:
    for record in records:
        yield hide_person(record, rename)


def hide_in_metrics_text(text: Any, rename: Rename | None) -> Any:
    """A flat export's ``metrics`` cell (JSON text) with the participant's email renamed."""
    if rename is None or not isinstance(text, str) or '"person"' not in text:
        return text
    return json.dumps(_metrics(json.loads(text), rename), ensure_ascii=False)
