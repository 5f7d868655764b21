"""``playground export --approvals``: the approval lab's steps as training data for a reward or
approval model, one JSON line per step and approval source:

``run_id``, ``transcript_id``, ``item_id``, ``environment``, ``step_number``, ``step_name``,
``state`` (what the agent and overseer saw before the step), ``instruction`` (what the agent
was asked), ``step`` (the agent's proposal), ``source``, ``model`` (the rating seat's model;
``environment`` for ``outcome``), ``approval`` (0–1, null when unparseable), ``status``,
``rationale``, ``true_value``, ``good``, ``valid``, ``outcome`` (``reward``, ``success``,
``hacked``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from ..protocols.approval.metrics import approval_rows, export_rows
from ..records import Record
from ..store import Store
from .people import hide_people, renamer


def write_approvals(
    store: Store,
    handle: IO[str],
    run_ids: Iterable[str | None],
    verdict_ids: set[str] | None,
    with_emails: bool = False,
) -> int:
    """Write the approval rows of these runs (None: every run), keeping only ``verdict_ids``
    when given; the number of lines written."""
    count = 0
    rename = renamer(store, with_emails)
    for run_id in run_ids:
        records: list[Record] = [
            r
            for r in hide_people(store.iter_records(run_id), rename)
            if r.protocol == "approval" and (verdict_ids is None or r.verdict_id in verdict_ids)
        ]
        for line in export_rows(approval_rows(records)):
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count
