"""Reading the log back: rows → the record types (`Record`, `Turn`, `Verdict`), and summaries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..records import (
    Assignment,
    Item,
    Origin,
    Provenance,
    Record,
    RunOrigin,
    TranscriptOrigin,
    Turn,
    Verdict,
)

STUDY_ROLE = "human_judge"
"""The role of a verdict a study participant submitted on a logged transcript
(`playground.studies`): counted apart from the run's own verdicts in `RunInfo`."""


class Tables(Protocol):
    """The log's tables these views read: the `Store` satisfies it (this module sits below it)."""

    runs: sa.Table
    transcripts: sa.Table
    turns: sa.Table
    verdicts: sa.Table


def aware(value: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite are naive UTC; make them aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass
class RunInfo:
    """A run and how its verdicts came out."""

    id: str
    name: str
    protocol: str
    dataset: str | None
    status: str
    source: str
    tags: list[str]
    config: dict[str, Any]
    playground_version: str
    created_at: datetime
    finished_at: datetime | None
    created_by: str | None = None
    """The signed-in person who started it (team mode); None for a local run."""
    transcripts: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    """Verdict count by status (ok, unparseable, error)."""
    correct: int = 0
    scored: int = 0
    """Verdicts scored right or wrong: ok verdicts with a choice on an item with a true answer
    (a consistency check's measurements and an approval are ok but not scored)."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    study_verdicts: int = 0
    """Verdicts study participants added to this run's transcripts (role ``human_judge``):
    counted apart, so the run's counts and accuracy stay its own judges'; a study's results
    are in ``playground study report``."""

    @property
    def accuracy(self) -> float | None:
        """Correct / scored verdicts: unparseable and error verdicts are counted apart, never
        as wrong, and ok verdicts that choose nothing (measurements) are not scored."""
        return self.correct / self.scored if self.scored else None


@dataclass
class TranscriptView:
    """A transcript as stored: the item, who defended what, every turn, and its verdicts."""

    id: str
    run_id: str
    item: Item
    assignment: Assignment
    status: str
    error: str | None
    parent_id: str | None
    turns: list[Turn]
    verdicts: list[tuple[str, Verdict, bool | None]]
    """(verdict id, verdict, is_correct)."""


def run_info(store: Tables, conn: Connection, row: dict[str, Any]) -> RunInfo:
    v, tr, tu = store.verdicts, store.transcripts, store.turns
    counts = conn.execute(
        sa.select(
            v.c.status,
            sa.func.count(),
            sa.func.sum(sa.case((v.c.is_correct, 1), else_=0)),
            sa.func.count(v.c.is_correct),
        )
        .where(v.c.run_id == row["id"], v.c.role != STUDY_ROLE)
        .group_by(v.c.status)
    ).all()
    study = conn.scalar(
        sa.select(sa.func.count()).where(v.c.run_id == row["id"], v.c.role == STUDY_ROLE)
    )
    usage = conn.execute(
        sa.select(
            sa.func.count(sa.distinct(tr.c.id)),
            sa.func.coalesce(sa.func.sum(tu.c.input_tokens), 0),
            sa.func.coalesce(sa.func.sum(tu.c.output_tokens), 0),
            sa.func.coalesce(sa.func.sum(tu.c.cost_usd), 0.0),
        )
        .select_from(tr.outerjoin(tu, tu.c.transcript_id == tr.c.id))
        .where(tr.c.run_id == row["id"])
    ).one()
    row["created_at"] = aware(row["created_at"])
    row["finished_at"] = aware(row["finished_at"])
    return RunInfo(
        **row,
        transcripts=usage[0],
        verdicts={status: n for status, n, _, _ in counts},
        correct=sum(int(c or 0) for _, _, c, _ in counts),
        scored=sum(int(s or 0) for _, _, _, s in counts),
        input_tokens=int(usage[1]),
        output_tokens=int(usage[2]),
        study_verdicts=int(study or 0),
        cost_usd=float(usage[3]),
    )


def _turn(row: Any) -> Turn:
    # ``row.index`` would be the tuple method: a Row is a tuple
    return Turn(
        index=row._mapping["index"],
        role=row.role,
        round=row.round,
        model=row.model,
        resolved_model=row.resolved_model,
        content=row.content,
        prompt_id=row.prompt_id,
        prompt_hash=row.prompt_hash,
        params=row.params,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        latency_ms=row.latency_ms,
        cost_usd=row.cost_usd,
        error=row.error,
        retries=row.retries,
        cached=row.cached,
        meta=row.meta,
        created_at=aware(row.created_at),
    )


def _verdict(row: Any) -> Verdict:
    return Verdict(
        status=row.status,
        choice=row.choice,
        credences=row.credences,
        raw=row.raw,
        reason=row.reason,
        role=row.role,
        turn_index=row.turn_index,
        metrics=row.metrics,
    )


def _load(
    store: Tables, conn: Connection, run_id: str | None
) -> tuple[list[Any], dict[str, list[Turn]], dict[str, list[Any]]]:
    tr, tu, v = store.transcripts, store.turns, store.verdicts
    query = sa.select(tr).order_by(tr.c.created_at, tr.c.id)
    if run_id is not None:
        query = query.where(tr.c.run_id == run_id)
    transcripts = list(conn.execute(query).all())
    ids = [t.id for t in transcripts]
    turns: dict[str, list[Turn]] = defaultdict(list)
    verdicts: dict[str, list[Any]] = defaultdict(list)
    # chunked IN lists keep each statement within the database's parameter limits
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in conn.execute(
            sa.select(tu)
            .where(tu.c.transcript_id.in_(chunk))
            .order_by(tu.c.transcript_id, tu.c["index"])
        ):
            turns[row.transcript_id].append(_turn(row))
        for row in conn.execute(
            sa.select(v).where(v.c.transcript_id.in_(chunk)).order_by(v.c.created_at, v.c.id)
        ):
            verdicts[row.transcript_id].append(row)
    return transcripts, turns, verdicts


def build_transcripts(store: Tables, conn: Connection, run_id: str) -> list[TranscriptView]:
    transcripts, turns, verdicts = _load(store, conn, run_id)
    return [
        TranscriptView(
            id=t.id,
            run_id=t.run_id,
            item=Item.model_validate(t.item),
            assignment=Assignment.model_validate(t.assignment),
            status=t.status,
            error=t.error,
            parent_id=t.parent_id,
            turns=turns[t.id],
            verdicts=[(r.id, _verdict(r), r.is_correct) for r in verdicts[t.id]],
        )
        for t in transcripts
    ]


def build_records(store: Tables, conn: Connection, run_id: str | None) -> Iterator[Record]:
    runs_query = sa.select(store.runs)
    if run_id is not None:
        runs_query = runs_query.where(store.runs.c.id == run_id)
    runs = {r.id: r for r in conn.execute(runs_query)}
    transcripts, turns, verdicts = _load(store, conn, run_id)
    run_origins = {
        r.id: RunOrigin(
            name=r.name,
            status=r.status,
            source=r.source,
            tags=r.tags,
            dataset=r.dataset,
            config=r.config,
            playground_version=r.playground_version,
            created_at=aware(r.created_at),
            finished_at=aware(r.finished_at),
        )
        for r in runs.values()
    }
    for t in transcripts:
        item = Item.model_validate(t.item)
        assignment = Assignment.model_validate(t.assignment)
        transcript_origin = TranscriptOrigin(
            status=t.status,
            error=t.error,
            parent_id=t.parent_id,
            passage=item.passage,
            item_meta=item.meta,
            created_at=aware(t.created_at),
            finished_at=aware(t.finished_at),
        )
        rows = verdicts[t.id]
        verdict_turns = {r.turn_index for r in rows if r.turn_index is not None}
        for row in rows:
            # a record carries the shared transcript plus its own judge call, not other judges'
            own = [
                x
                for x in turns[t.id]
                if (x.index not in verdict_turns or x.index == row.turn_index)
                and not (x.meta.get("kind") == "vote" and x.role != row.role)
            ]
            yield Record(
                run_id=t.run_id,
                transcript_id=t.id,
                verdict_id=row.id,
                item_id=t.item_id,
                protocol=runs[t.run_id].protocol,
                question=item.question,
                answers=item.answers,
                correct=item.correct,
                assignment=assignment,
                turns=own,
                verdict=_verdict(row),
                is_correct=row.is_correct,
                provenance=Provenance.model_validate(row.provenance),
                origin=Origin(
                    run=run_origins[t.run_id],
                    transcript=transcript_origin,
                    verdict_created_at=aware(row.created_at),
                ),
            )
