"""Importing exported records (JSONL `Record` lines) into a store: the rows of the runs,
transcripts, turns and verdicts they came from, rebuilt exactly, so that export → import into
another store → export gives the same lines.

A record exported by a store carries ``origin`` (run name, tags, status, config, the
transcript's state, passage and item meta, timestamps) and is restored exactly. A record
without it (built elsewhere) is still imported: its run is named after its id, tagged
``imported``, with status ``done`` and source ``import``; timestamps come from its turns and
provenance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..records import Item, Record
from . import Store
from .redact import scrub


class ImportConflict(ValueError):
    """The store already holds a run (or transcript, verdict) being imported."""


class BadRecord(ValueError):
    """A record that parses but cannot be stored as it says (an index outside its answers,
    an id given twice); the message is one line naming the field."""


def record_problem(record: Record) -> str | None:
    """What is wrong with a record's indices, as ``field: problem``; None when nothing is.
    ``correct``, the verdict's ``choice`` and the display order index into ``answers``."""
    n = len(record.answers)
    if n < 2:
        return f"answers: {n} given, at least 2 needed"
    if record.correct is not None and not 0 <= record.correct < n:
        return f"correct: {record.correct} is not an index into the {n} answers (0 to {n - 1})"
    choice = record.verdict.choice
    if choice is not None and not 0 <= choice < n:
        return f"verdict.choice: {choice} is not an index into the {n} answers (0 to {n - 1})"
    bad = [i for i in record.assignment.display_order if not 0 <= i < n]
    if bad:
        return f"assignment.display_order: {bad[0]} is not an index into the {n} answers"
    return None


@dataclass
class ImportSummary:
    runs: list[str] = field(default_factory=list)
    transcripts: int = 0
    turns: int = 0
    verdicts: int = 0

    def line(self) -> str:
        return (
            f"imported {len(self.runs)} run(s): {self.transcripts} transcripts, "
            f"{self.turns} turns, {self.verdicts} verdicts"
        )


def _earliest(record: Record) -> datetime:
    stamps = [t.created_at for t in record.turns] or [record.provenance.created_at]
    return min(stamps)


def _run_row(record: Record) -> dict[str, Any]:
    origin = record.origin
    if origin is not None:
        run = origin.run
        return {
            "id": record.run_id, "name": run.name, "protocol": record.protocol,
            "dataset": run.dataset, "status": run.status, "source": run.source,
            "tags": list(run.tags), "config": scrub(run.config),
            "playground_version": run.playground_version, "created_at": run.created_at,
            "finished_at": run.finished_at,
        }  # fmt: skip
    prov = record.provenance
    return {
        "id": record.run_id, "name": record.run_id, "protocol": record.protocol,
        "dataset": prov.dataset, "status": "done", "source": "import", "tags": ["imported"],
        "config": {"provenance": scrub(prov.model_dump(mode="json"))},
        "playground_version": prov.playground_version, "created_at": prov.created_at,
        "finished_at": None,
    }  # fmt: skip


def _transcript_row(record: Record) -> dict[str, Any]:
    origin = record.origin
    passage = origin.transcript.passage if origin else None
    meta = origin.transcript.item_meta if origin else {}
    item = Item(
        id=record.item_id,
        question=record.question,
        answers=record.answers,
        correct=record.correct,
        passage=passage,
        meta=meta,
    )
    row: dict[str, Any] = {
        "id": record.transcript_id,
        "run_id": record.run_id,
        "item_id": record.item_id,
        "item": item.model_dump(mode="json"),
        "assignment": record.assignment.model_dump(mode="json"),
    }
    if origin is not None:
        t = origin.transcript
        row.update(
            status=t.status, error=t.error, parent_id=t.parent_id,
            created_at=t.created_at, finished_at=t.finished_at,
        )  # fmt: skip
    else:
        failed = record.verdict.status == "error"
        row.update(
            status="error" if failed else "done",
            error=record.verdict.reason if failed else None,
            parent_id=None,
            created_at=_earliest(record),
            finished_at=None,
        )
    return row


def _verdict_row(record: Record) -> dict[str, Any]:
    v = record.verdict
    created = record.origin.verdict_created_at if record.origin else _earliest(record)
    if record.origin is None and v.turn_index is not None:
        created = next((t.created_at for t in record.turns if t.index == v.turn_index), created)
    return {
        "id": record.verdict_id, "transcript_id": record.transcript_id, "run_id": record.run_id,
        "role": v.role, "status": v.status, "choice": v.choice, "credences": v.credences,
        "raw": v.raw, "reason": v.reason, "turn_index": v.turn_index, "metrics": v.metrics,
        "is_correct": record.is_correct,
        "provenance": scrub(record.provenance.model_dump(mode="json")), "created_at": created,
    }  # fmt: skip


def rows_of(records: Iterable[Record]) -> dict[str, list[dict[str, Any]]]:
    """Table name → rows, each run, transcript and turn once (turns shared by several
    verdicts of a transcript are merged by index)."""
    runs: dict[str, dict[str, Any]] = {}
    transcripts: dict[str, dict[str, Any]] = {}
    turns: dict[tuple[str, int], dict[str, Any]] = {}
    verdicts: list[dict[str, Any]] = []
    for record in records:
        runs.setdefault(record.run_id, _run_row(record))
        transcripts.setdefault(record.transcript_id, _transcript_row(record))
        for turn in record.turns:
            key = (record.transcript_id, turn.index)
            if key not in turns:
                # the same shape the store writes for a TurnCompleted event
                row = turn.model_dump(mode="json", exclude={"created_at"})
                row.update(transcript_id=record.transcript_id, created_at=turn.created_at)
                turns[key] = row
        verdicts.append(_verdict_row(record))
    return {
        "runs": list(runs.values()),
        "transcripts": list(transcripts.values()),
        "turns": list(turns.values()),
        "verdicts": verdicts,
    }


def _existing(conn: sa.Connection, column: sa.Column, ids: list[Any]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), 500):
        found += conn.scalars(sa.select(column).where(column.in_(ids[start : start + 500]))).all()
    return found


def import_records(store: Store, records: Iterable[Record]) -> ImportSummary:
    """Write the records' runs, transcripts, turns and verdicts into ``store`` in one
    transaction: an import is atomic, all of it or none. Refuses (`ImportConflict`, nothing
    written) if any of the runs, transcripts or verdicts is already there, and (`BadRecord`,
    nothing written) a record whose indices fall outside its answers or whose verdict id
    repeats; what the store held before is never touched."""
    records = list(records)
    seen: set[str] = set()
    for record in records:
        problem = record_problem(record)
        if problem is None and record.verdict_id in seen:
            problem = f"verdict_id: {record.verdict_id!r} appears twice in the import"
        if problem is not None:
            raise BadRecord(f"verdict {record.verdict_id!r}: {problem}; nothing was imported")
        seen.add(record.verdict_id)
    tables = rows_of(records)
    with store.engine.begin() as conn:
        for name, key in (("runs", "id"), ("transcripts", "id"), ("verdicts", "id")):
            table = store.metadata.tables[name]
            wanted = [r[key] for r in tables[name]]
            found = set(_existing(conn, table.c[key], wanted))
            clash = [k for k in wanted if k in found]  # in import order
            if clash:
                what = name[:-1]
                raise ImportConflict(
                    f"{what} {clash[0]!r} is already in {store!r}"
                    + (f" (and {len(clash) - 1} more)" if len(clash) > 1 else "")
                    + ": import into another store, or delete it first"
                )
        for name in ("runs", "transcripts", "turns", "verdicts"):
            rows = tables[name]
            for start in range(0, len(rows), 5000):
                conn.execute(store.metadata.tables[name].insert(), rows[start : start + 5000])
    return ImportSummary(
        runs=[r["id"] for r in tables["runs"]],
        transcripts=len(tables["transcripts"]),
        turns=len(tables["turns"]),
        verdicts=len(tables["verdicts"]),
    )
