"""The SQL of human studies (`playground.studies`): studies, tasks, leased judgment slots, skips.

Assignment is a compare-and-set on one slot row per statement, so it is atomic on SQLite (one
writer at a time) and on PostgreSQL (an UPDATE re-checks its WHERE on the row it locked): two
people asking at once never get the same slot, a slot once ``done`` is never handed out again,
and a lease whose time has passed can be taken over. A unique key on (study, item, person)
keeps one person off both positions of an item and off the same item twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..records import utcnow
from .views import STUDY_ROLE as STUDY_ROLE  # the role its verdicts are written with
from .writes import retrying

if TYPE_CHECKING:
    from . import Store


@dataclass(frozen=True)
class StudyTables:
    studies: sa.Table
    tasks: sa.Table
    slots: sa.Table
    skips: sa.Table


def tables(store: Store) -> StudyTables:
    """The study tables of a store, reflected once per store."""
    cached = getattr(store, "_study_tables", None)
    if cached is None:
        md = sa.MetaData()
        md.reflect(store.engine, only=["studies", "study_tasks", "study_slots", "study_skips"])
        cached = StudyTables(
            md.tables["studies"], md.tables["study_tasks"], md.tables["study_slots"],
            md.tables["study_skips"],
        )  # fmt: skip
        store._study_tables = cached  # type: ignore[attr-defined]
    return cached


def _retry(store: Store, what: str, fn: Any) -> Any:
    return retrying(store.writes, what, repr(store), fn)


def insert_study(
    store: Store, study: dict[str, Any], tasks: list[dict[str, Any]], slots: list[dict[str, Any]]
) -> None:
    """Write a study with its tasks and open slots in one transaction."""
    t = tables(store)

    def write() -> None:
        with store.engine.begin() as conn:
            conn.execute(t.studies.insert(), study)
            for start in range(0, len(tasks), 500):
                conn.execute(t.tasks.insert(), tasks[start : start + 500])
            for start in range(0, len(slots), 500):
                conn.execute(t.slots.insert(), slots[start : start + 500])

    _retry(store, f"study {study['id']}", write)


def get_study(store: Store, study_id: str) -> dict[str, Any] | None:
    t = tables(store)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.studies).where(t.studies.c.id == study_id)).mappings()
        found = row.first()
    return dict(found) if found else None


def list_studies(store: Store) -> list[dict[str, Any]]:
    t = tables(store)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.studies).order_by(t.studies.c.created_at)).mappings()
        return [dict(r) for r in rows]


def set_status(store: Store, study_id: str, status: str) -> None:
    t = tables(store)
    closed = utcnow() if status == "closed" else None

    def write() -> None:
        with store.engine.begin() as conn:
            conn.execute(
                t.studies.update()
                .where(t.studies.c.id == study_id)
                .values(status=status, closed_at=closed)
            )

    _retry(store, f"study {study_id} {status}", write)


def tasks_of(store: Store, study_id: str) -> list[dict[str, Any]]:
    t = tables(store)
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.tasks).where(t.tasks.c.study_id == study_id).order_by(t.tasks.c.position)
        ).mappings()
        return [dict(r) for r in rows]


def get_task(store: Store, study_id: str, task_id: str) -> dict[str, Any] | None:
    t = tables(store)
    with store.engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(t.tasks).where(t.tasks.c.study_id == study_id, t.tasks.c.id == task_id)
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def slots_of(store: Store, study_id: str) -> list[dict[str, Any]]:
    t = tables(store)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.slots).where(t.slots.c.study_id == study_id)).mappings()
        return [dict(r) for r in rows]


def skips_of(store: Store, study_id: str) -> list[dict[str, Any]]:
    t = tables(store)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.skips).where(t.skips.c.study_id == study_id)).mappings()
        return [dict(r) for r in rows]


def slot_by_assignment(store: Store, assignment_id: str) -> dict[str, Any] | None:
    t = tables(store)
    with store.engine.connect() as conn:
        row = (
            conn.execute(sa.select(t.slots).where(t.slots.c.assignment_id == assignment_id))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def held_by(store: Store, study_id: str, person: str) -> list[dict[str, Any]]:
    """The slots a person holds under a lease in a study (expired or not), oldest first."""
    t = tables(store)
    s = t.slots
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(s)
            .where(s.c.study_id == study_id, s.c.person == person, s.c.state == "leased")
            .order_by(s.c.leased_at)
        ).mappings()
        return [dict(r) for r in rows]


@dataclass(frozen=True)
class Candidate:
    """A slot a person could take now: an open or expired slot (``slot_id``), or a gold task
    they have not had yet (``slot_id`` None: a per-person slot is inserted)."""

    task_id: str
    item_key: str
    slot_id: str | None


def candidates(store: Store, study_id: str, person: str, now: float) -> list[Candidate]:
    """One takeable slot per task, for tasks on items the person holds no slot of and did not
    skip, plus gold tasks they have not had."""
    t = tables(store)
    s, tk, sk = t.slots, t.tasks, t.skips
    mine = sa.select(s.c.item_key).where(s.c.study_id == study_id, s.c.person == person)
    skipped = sa.select(sk.c.task_id).where(sk.c.study_id == study_id, sk.c.person == person)
    free = sa.or_(s.c.state == "open", sa.and_(s.c.state == "leased", s.c.lease_until < now))
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(s.c.task_id, s.c.item_key, sa.func.min(s.c.id))
            .where(
                s.c.study_id == study_id,
                s.c.slot.is_not(None),
                free,
                s.c.item_key.not_in(mine),
                s.c.task_id.not_in(skipped),
            )
            .group_by(s.c.task_id, s.c.item_key)
        ).all()
        gold = conn.execute(
            sa.select(tk.c.id, tk.c.item_key).where(
                tk.c.study_id == study_id,
                tk.c.gold.is_(True),
                tk.c.item_key.not_in(mine),
                tk.c.id.not_in(skipped),
            )
        ).all()
    return [Candidate(r[0], r[1], r[2]) for r in rows] + [Candidate(g[0], g[1], None) for g in gold]


def claim(
    store: Store, study_id: str, candidate: Candidate, person: str, now: float, lease_s: float
) -> str | None:
    """Take a candidate slot for ``person`` under a lease of ``lease_s`` seconds; return the new
    assignment id, or None if someone else got there first (or the person already holds a slot
    of that item)."""
    t = tables(store)
    s = t.slots
    assignment_id = uuid.uuid4().hex
    values = dict(
        person=person,
        state="leased",
        assignment_id=assignment_id,
        leased_at=now,
        lease_until=now + lease_s,
        submitted_at=None,
        verdict_id=None,
    )

    def write() -> bool:
        try:
            with store.engine.begin() as conn:
                if candidate.slot_id is None:
                    conn.execute(
                        s.insert().values(
                            id=uuid.uuid4().hex,
                            study_id=study_id,
                            task_id=candidate.task_id,
                            slot=None,
                            item_key=candidate.item_key,
                            **values,
                        )
                    )
                    return True
                taken = conn.execute(
                    s.update()
                    .where(
                        s.c.id == candidate.slot_id,
                        sa.or_(
                            s.c.state == "open",
                            sa.and_(s.c.state == "leased", s.c.lease_until < now),
                        ),
                    )
                    .values(**values)
                )
                return taken.rowcount == 1
        except sa.exc.IntegrityError:
            return False

    return assignment_id if _retry(store, f"claim in study {study_id}", write) else None


def _leased_to(s: sa.Table, assignment_id: str, person: str) -> sa.ColumnElement[bool]:
    """The slot of this assignment, while it is still leased to this person."""
    return sa.and_(s.c.assignment_id == assignment_id, s.c.person == person, s.c.state == "leased")


def renew(store: Store, assignment_id: str, person: str, now: float, lease_s: float) -> bool:
    """Extend a person's own lease (a refresh of the page); False if it is no longer theirs."""
    s = tables(store).slots

    def write() -> bool:
        with store.engine.begin() as conn:
            result = conn.execute(
                s.update()
                .where(_leased_to(s, assignment_id, person))
                .values(lease_until=now + lease_s)
            )
            return result.rowcount == 1

    return bool(_retry(store, f"renew {assignment_id}", write))


def complete(
    store: Store, assignment_id: str, person: str, now: float, verdict_row: dict[str, Any]
) -> str:
    """Mark a person's leased slot done and insert its verdict in one transaction. Returns
    ``done``, ``already`` (this assignment was submitted before: nothing written) or ``lost``
    (the slot is not theirs any more)."""
    s = tables(store).slots
    v = store.verdicts

    def write() -> str:
        with store.engine.begin() as conn:
            result = conn.execute(
                s.update()
                .where(_leased_to(s, assignment_id, person))
                .values(state="done", submitted_at=now, verdict_id=verdict_row["id"])
            )
            if result.rowcount == 1:
                conn.execute(v.insert(), verdict_row)
                return "done"
            state = conn.execute(
                sa.select(s.c.state, s.c.person).where(s.c.assignment_id == assignment_id)
            ).first()
        if state is not None and state.state == "done" and state.person == person:
            return "already"
        return "lost"

    return str(_retry(store, f"submit {assignment_id}", write))


def release(
    store: Store, study_id: str, assignment_id: str, person: str, reason: str | None
) -> bool:
    """Give a leased slot back to the pool (a gold task's per-person slot is deleted); with a
    ``reason``, record that the person skipped the task so they are not offered it again."""
    t = tables(store)
    s = t.slots

    def write() -> bool:
        with store.engine.begin() as conn:
            row = conn.execute(
                sa.select(s.c.task_id, s.c.slot).where(_leased_to(s, assignment_id, person))
            ).first()
            if row is None:
                return False
            mine = sa.and_(s.c.assignment_id == assignment_id, s.c.person == person)
            if row.slot is None:
                conn.execute(s.delete().where(mine))
            else:
                conn.execute(
                    s.update()
                    .where(mine)
                    .values(
                        person=None, state="open", assignment_id=None, leased_at=None,
                        lease_until=None,
                    )
                )  # fmt: skip
            if reason is not None:
                conn.execute(
                    t.skips.insert().values(
                        study_id=study_id, task_id=row.task_id, person=person, reason=reason,
                        created_at=utcnow(),
                    )
                )  # fmt: skip
            return True

    return bool(_retry(store, f"release {assignment_id}", write))


def study_verdicts(store: Store, study_id: str) -> list[dict[str, Any]]:
    """Every submitted slot of a study with its verdict row and task."""
    t = tables(store)
    s, tk, v = t.slots, t.tasks, store.verdicts
    query = (
        sa.select(
            s.c.task_id,
            s.c.person,
            s.c.assignment_id,
            s.c.leased_at,
            s.c.submitted_at,
            tk.c.transcript_id,
            tk.c.step,
            tk.c.item_key,
            tk.c.gold,
            tk.c.answer,
            v.c.id.label("verdict_id"),
            v.c.choice,
            v.c.credences,
            v.c.is_correct,
            v.c.metrics,
            v.c.reason,
        )
        .select_from(
            s.join(tk, sa.and_(tk.c.study_id == s.c.study_id, tk.c.id == s.c.task_id)).join(
                v, v.c.id == s.c.verdict_id
            )
        )
        .where(s.c.study_id == study_id, s.c.state == "done")
        .order_by(s.c.submitted_at)
    )
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
