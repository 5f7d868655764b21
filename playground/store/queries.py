"""The store's bulk queries for analysis and export: every statement the analysis frames, the
flat exports and the pages run, returning plain row tuples (`playground.store.bulk`), so that
no layer above the store writes SQL and one schema change touches the migration and the store.

Column orders are part of each function's contract (named in its docstring); the callers name
the columns of the frames they build from them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from . import Store
from .bulk import Reader, as_text, in_chunks, raw_rows

BUCKETS_PER_E = 40
"""Latency histogram resolution: buckets per factor of e (each bucket spans 2.5%)."""


def run_rows(store: Store, reader: Reader | sa.Connection) -> list[tuple[Any, ...]]:
    """Every run, oldest first: id, name, protocol, dataset, status, source, tags (JSON text),
    created_at, finished_at (as the database returns them), the kind of run it was made from
    (``config.parent.kind``: fork, rejudge, or null)."""
    r = store.runs
    return raw_rows(
        reader,
        sa.select(
            r.c.id, r.c.name, r.c.protocol, r.c.dataset, r.c.status, r.c.source,
            as_text(r.c.tags), as_text(r.c.created_at), as_text(r.c.finished_at),
            r.c.config[("parent", "kind")].as_string(),
        ).order_by(r.c.created_at, r.c.id),
    )  # fmt: skip


def verdict_rows(
    store: Store,
    reader: Reader | sa.Connection,
    run_ids: Sequence[str] | None = None,
    text: bool = False,
) -> list[tuple[Any, ...]]:
    """Verdicts of stored transcripts (of ``run_ids``, or all), with their transcript: id,
    run_id, transcript_id, item_id, role, status, choice, is_correct, the item's correct index,
    assignment (JSON text), credences (JSON text), turn_index, provenance (JSON text),
    created_at, the transcript's parent_id, metrics (JSON text), the item's meta (JSON text);
    with ``text`` also the question, answers (JSON text), raw, reason, transcript status and
    error."""
    v, t = store.verdicts, store.transcripts
    columns = [
        v.c.id, v.c.run_id, v.c.transcript_id, t.c.item_id, v.c.role, v.c.status, v.c.choice,
        v.c.is_correct, t.c.item["correct"].as_integer(), as_text(t.c.assignment),
        as_text(v.c.credences), v.c.turn_index, as_text(v.c.provenance),
        as_text(v.c.created_at), t.c.parent_id, as_text(v.c.metrics), as_text(t.c.item["meta"]),
    ]  # fmt: skip
    if text:
        columns += [
            t.c.item["question"].as_string(), as_text(t.c.item["answers"]), v.c.raw, v.c.reason,
            t.c.status, t.c.error,
        ]  # fmt: skip
    stmt = sa.select(*columns).join_from(v, t, t.c.id == v.c.transcript_id)
    return in_chunks(reader, stmt, v.c.run_id, run_ids)


def turn_models(
    store: Store, reader: Reader | sa.Connection, transcript_ids: Sequence[str]
) -> list[tuple[Any, ...]]:
    """transcript_id, index, model, prompt_id, prompt_hash of every turn of these
    transcripts."""
    u = store.turns
    stmt = sa.select(u.c.transcript_id, u.c["index"], u.c.model, u.c.prompt_id, u.c.prompt_hash)
    return in_chunks(reader, stmt, u.c.transcript_id, list(transcript_ids))


USAGE_COLUMNS = [
    "run_id", "role", "model", "bucket", "turns", "errors", "input_tokens",
    "with_input", "output_tokens", "with_output", "cost_usd", "with_cost", "latency_ms",
    "with_latency",
]  # fmt: skip
"""The columns of `usage_rows`."""


def usage_rows(store: Store, run_ids: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """Turns aggregated per (run, role, model, latency bucket), on a connection of their own
    (`USAGE_COLUMNS`): counts, error counts, token/cost/latency sums and how many turns
    reported each. Turns a fork or re-judge copied (``meta.copied``) are not counted again.
    Bucket b holds ``floor(BUCKETS_PER_E·ln(latency_ms + 1)) = b``."""
    t, u = store.transcripts, store.turns
    bucket = sa.case(
        (u.c.latency_ms >= 0, sa.func.floor(sa.func.ln(u.c.latency_ms + 1) * BUCKETS_PER_E)),
        else_=None,
    )
    keys = [t.c.run_id, u.c.role, u.c.model, bucket]
    stmt = (
        sa.select(
            *keys,
            sa.func.count(),
            sa.func.sum(sa.case((u.c.error.is_not(None), 1), else_=0)),
            sa.func.sum(u.c.input_tokens),
            sa.func.count(u.c.input_tokens),
            sa.func.sum(u.c.output_tokens),
            sa.func.count(u.c.output_tokens),
            sa.func.sum(u.c.cost_usd),
            sa.func.count(u.c.cost_usd),
            sa.func.sum(u.c.latency_ms),
            sa.func.count(u.c.latency_ms),
        )
        .join_from(u, t, t.c.id == u.c.transcript_id)
        .where(sa.func.coalesce(u.c.meta["copied"].as_boolean(), False).is_(False))
        .group_by(*keys)
    )
    with Reader(store) as reader:
        return in_chunks(reader, stmt, t.c.run_id, run_ids)


def reading_rows(store: Store, run_ids: Sequence[str] | None = None) -> list[tuple[Any, ...]]:
    """Turns whose ``meta`` is not empty, on a connection of their own: run_id, transcript_id,
    index, role, round, model, the item's correct index, meta (JSON text)."""
    t, u = store.transcripts, store.turns
    stmt = sa.select(
        t.c.run_id, u.c.transcript_id, u.c["index"], u.c.role, u.c.round, u.c.model,
        t.c.item["correct"].as_integer(), as_text(u.c.meta),
    ).join_from(u, t, t.c.id == u.c.transcript_id).where(as_text(u.c.meta) != "{}")  # fmt: skip
    with Reader(store) as reader:
        return in_chunks(reader, stmt, t.c.run_id, run_ids)


def turn_columns(store: Store) -> list[tuple[str, str]]:
    """(name, kind) of the columns `turn_rows` returns: run_id, transcript_id, index, then the
    turns table's own columns in table order (any a later migration adds included). kind is
    ``text``, ``json`` (JSON text), ``datetime`` (as the database returns it), ``int``,
    ``float`` or ``bool``."""
    kinds = [
        (sa.JSON, "json"), (sa.DateTime, "datetime"), (sa.Boolean, "bool"),
        (sa.Integer, "int"), (sa.Float, "float"),
    ]  # fmt: skip
    own = [c for c in store.turns.columns if c.name not in ("transcript_id", "index")]
    named = [(c.name, next((k for t, k in kinds if isinstance(c.type, t)), "text")) for c in own]
    return [("run_id", "text"), ("transcript_id", "text"), ("index", "int"), *named]


def turn_rows(store: Store, transcript_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Every turn of these transcripts, in `turn_columns` order (JSON and datetimes as text),
    in no particular order."""
    tu, tr = store.turns, store.transcripts
    own = [tu.c[name] for name, _ in turn_columns(store)[3:]]
    select = [
        tr.c.run_id,
        tu.c.transcript_id,
        tu.c["index"],
        *(sa.cast(c, sa.Text) if isinstance(c.type, sa.JSON | sa.DateTime) else c for c in own),
    ]
    stmt = sa.select(*select).join_from(tu, tr, tr.c.id == tu.c.transcript_id)
    ids = list(dict.fromkeys(transcript_ids))
    with store.engine.connect() as conn:
        return in_chunks(conn, stmt, tu.c.transcript_id, ids)


def log_version(store: Store) -> str:
    """A value that changes whenever verdicts are added or runs change (status, tags): a cache
    key for views of the whole log."""
    v, r = store.verdicts, store.runs
    with store.engine.connect() as conn:
        count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(v.c.created_at))).one()
        runs = conn.execute(sa.select(r.c.id, r.c.status, r.c.tags)).all()
    return json.dumps([count, str(last), [list(row) for row in runs]], default=str)
