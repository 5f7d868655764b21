"""The store's memory of provider batches: which batches a run submitted and which request went
into which, written before and after each submission, so ``--resume`` collects a batch that is
already paid for instead of sending its requests again.

A request is known by its key (a sha256 of the transcript's plan and the request body, never
the text itself). Its states: ``pending`` (submitted, no result yet), ``ok``, ``failed`` (for
good) and ``retried`` (failed, and sent again in a later batch).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..records import utcnow
from .writes import retrying

if TYPE_CHECKING:
    from . import Store

REUSABLE = ("pending", "ok")
"""Request states whose batch a resumed run collects rather than resubmitting."""


@dataclass(frozen=True)
class StoredBatch:
    """One submitted (or about to be submitted) batch of a run."""

    id: str
    run_id: str
    provider: str
    remote_id: str | None
    wave: int
    status: str
    requests: int
    succeeded: int
    failed: int
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Placed:
    """Where a request already went: our batch id, the provider's, and its custom_id there."""

    batch_id: str
    remote_id: str
    custom_id: str
    state: str
    """``ok``: its result was handed out (and recorded as a turn) before; ``pending``: not yet."""


class BatchLog:
    """Reads and writes the ``batches`` and ``batch_requests`` tables of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        md = sa.MetaData()
        md.reflect(store.engine, only=["batches", "batch_requests"])
        self.batches = md.tables["batches"]
        self.requests = md.tables["batch_requests"]

    def _write(self, what: str, write: object) -> None:
        def run() -> None:
            with self.store.engine.begin() as conn:
                for statement, params in write:  # type: ignore[attr-defined]
                    conn.execute(statement, params)

        retrying(self.store.writes, what, repr(self.store), run)

    def begin(self, run_id: str, provider: str, wave: int, requests: list[tuple[str, str]]) -> str:
        """Record a batch about to be submitted with its ``(custom_id, key)`` requests; our id."""
        batch_id = uuid.uuid4().hex
        row = dict(
            id=batch_id,
            run_id=run_id,
            provider=provider,
            remote_id=None,
            wave=wave,
            status="submitting",
            requests=len(requests),
            succeeded=0,
            failed=0,
            created_at=utcnow(),
        )
        rows = [
            dict(batch_id=batch_id, custom_id=cid, run_id=run_id, request_key=key, state="pending")
            for cid, key in requests
        ]
        self._write(
            f"batch {batch_id}",
            [(self.batches.insert(), row), (self.requests.insert(), rows)],
        )
        return batch_id

    def submitted(self, batch_id: str, remote_id: str) -> None:
        """The provider accepted the batch under ``remote_id``."""
        statement = self.batches.update().where(self.batches.c.id == batch_id)
        self._write(
            f"batch {batch_id} submitted",
            [(statement.values(remote_id=remote_id, status="submitted"), None)],
        )

    def update(self, batch_id: str, status: str, succeeded: int, failed: int) -> None:
        """The batch's latest status as polled."""
        values: dict[str, object] = dict(status=status, succeeded=succeeded, failed=failed)
        if status == "collected":
            values["ended_at"] = utcnow()
        statement = self.batches.update().where(self.batches.c.id == batch_id).values(**values)
        self._write(f"batch {batch_id} {status}", [(statement, None)])

    def settle(self, batch_id: str, states: dict[str, str]) -> None:
        """Record each request's final state in this batch (ok, failed or retried)."""
        r = self.requests
        by_state: dict[str, list[str]] = {}
        for cid, state in states.items():
            by_state.setdefault(state, []).append(cid)
        self._write(
            f"requests of batch {batch_id}",
            [
                (
                    r.update()
                    .where(r.c.batch_id == batch_id, r.c.custom_id.in_(ids))
                    .values(state=state),
                    None,
                )
                for state, ids in by_state.items()
            ],
        )

    def placed(self, run_id: str, keys: list[str]) -> dict[str, Placed]:
        """For each key already in a submitted batch of this run (pending or answered), where."""
        if not keys:
            return {}
        r, b = self.requests, self.batches
        found: dict[str, Placed] = {}
        with self.store.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                rows = conn.execute(
                    sa.select(
                        r.c.request_key, r.c.batch_id, r.c.custom_id, r.c.state, b.c.remote_id
                    )
                    .join(b, b.c.id == r.c.batch_id)
                    .where(
                        r.c.run_id == run_id,
                        r.c.request_key.in_(keys[start : start + 500]),
                        r.c.state.in_(REUSABLE),
                        b.c.remote_id.is_not(None),
                    )
                    .order_by(b.c.created_at)
                )
                for row in rows:  # the latest batch wins
                    found[row.request_key] = Placed(
                        row.batch_id, row.remote_id, row.custom_id, row.state
                    )
        return found

    def unsent(self, run_id: str, keys: list[str]) -> dict[str, tuple[str, str]]:
        """For each key in a batch of this run recorded as about to be submitted but never as
        accepted (a kill in between): (our batch id, custom_id)."""
        if not keys:
            return {}
        r, b = self.requests, self.batches
        found: dict[str, tuple[str, str]] = {}
        with self.store.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                rows = conn.execute(
                    sa.select(r.c.request_key, r.c.batch_id, r.c.custom_id)
                    .join(b, b.c.id == r.c.batch_id)
                    .where(
                        r.c.run_id == run_id,
                        r.c.request_key.in_(keys[start : start + 500]),
                        r.c.state == "pending",
                        b.c.remote_id.is_(None),
                        b.c.status == "submitting",
                    )
                )
                for row in rows:
                    found[row.request_key] = (row.batch_id, row.custom_id)
        return found

    def forget(self, batch_id: str) -> None:
        """A batch recorded as about to be submitted that the provider never received."""
        r = self.requests
        self._write(
            f"batch {batch_id} never sent",
            [
                (
                    self.batches.update()
                    .where(self.batches.c.id == batch_id)
                    .values(status="unsent"),
                    None,
                ),
                (r.update().where(r.c.batch_id == batch_id).values(state="retried"), None),
            ],
        )

    def of_run(self, run_id: str) -> list[StoredBatch]:
        """A run's batches in the order they were made."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(self.batches)
                .where(self.batches.c.run_id == run_id)
                .order_by(self.batches.c.created_at)
            ).mappings()
            return [StoredBatch(**dict(row)) for row in rows]
