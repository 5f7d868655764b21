"""Team tables as stored (migration m007): people and their roles, the audit trail, and the
per-store salt of pseudonymous rater ids; read and written for `playground.team`.

A person is their lower-cased email. The first person to claim ownership of a store becomes its
owner; the claim is a primary-key insert into ``team_meta``, so two first sign-ins at once on
SQLite or PostgreSQL make exactly one owner.
"""

from __future__ import annotations

import secrets
import weakref
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from ..records import utcnow
from . import Store
from .views import aware
from .writes import retrying

__all__ = [
    "AuditRow",
    "PersonRow",
    "claim_owner",
    "delete_person",
    "insert_audit",
    "rater_salt",
    "select_audit",
    "select_people",
    "select_person",
    "touch_sign_in",
    "upsert_person",
]


class PersonRow(BaseModel):
    """One person of the team as stored."""

    email: str = Field(description="Lower-cased email: the person's id everywhere.")
    role: str = Field(description="owner | researcher | annotator")
    name: str | None = None
    invited_by: str | None = None
    created_at: datetime | None = None
    last_sign_in: datetime | None = None


class AuditRow(BaseModel):
    """One audit event: ``actor`` did ``action`` to ``target`` at ``at``; ``detail`` says more."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any] = Field(default_factory=dict)


_tables: weakref.WeakKeyDictionary[Store, dict[str, sa.Table]] = weakref.WeakKeyDictionary()


def _t(store: Store, name: str) -> sa.Table:
    """A team table, reflected once per store (migration m007 is its one definition)."""
    tables = _tables.setdefault(store, {})
    if name not in tables:
        tables[name] = sa.Table(name, sa.MetaData(), autoload_with=store.engine)
    return tables[name]


def _person(row: Any) -> PersonRow:
    data = dict(row._mapping)
    data["created_at"] = aware(data["created_at"])
    data["last_sign_in"] = aware(data["last_sign_in"])
    return PersonRow(**data)


def select_person(store: Store, email: str) -> PersonRow | None:
    people = _t(store, "people")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(people).where(people.c.email == email)).first()
    return _person(row) if row else None


def select_people(store: Store) -> list[PersonRow]:
    """Everyone, owner first, then by email."""
    people = _t(store, "people")
    order = sa.case((people.c.role == "owner", 0), else_=1)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(people).order_by(order, people.c.email)).all()
    return [_person(r) for r in rows]


def upsert_person(
    store: Store, email: str, role: str, *, name: str | None, invited_by: str | None
) -> bool:
    """Add a person or change their role (and name, if given); returns whether they were new."""
    people = _t(store, "people")

    def write() -> bool:
        with store.engine.begin() as conn:
            values: dict[str, Any] = {"role": role}
            if name is not None:
                values["name"] = name
            done = conn.execute(people.update().where(people.c.email == email).values(**values))
            if done.rowcount:
                return False
            conn.execute(
                people.insert().values(
                    email=email, role=role, name=name, invited_by=invited_by, created_at=utcnow()
                )
            )
            return True

    return retrying(store.writes, f"person {email}", repr(store), write)


def delete_person(store: Store, email: str) -> bool:
    people = _t(store, "people")

    def write() -> bool:
        with store.engine.begin() as conn:
            return bool(conn.execute(people.delete().where(people.c.email == email)).rowcount)

    return retrying(store.writes, f"remove person {email}", repr(store), write)


def touch_sign_in(store: Store, email: str, name: str | None) -> None:
    people = _t(store, "people")
    values: dict[str, Any] = {"last_sign_in": utcnow()}
    if name:
        values["name"] = name

    def write() -> None:
        with store.engine.begin() as conn:
            conn.execute(people.update().where(people.c.email == email).values(**values))

    retrying(store.writes, f"sign-in of {email}", repr(store), write)


def claim_owner(store: Store, email: str, name: str | None) -> bool:
    """Make ``email`` the owner if the store has none yet; returns whether this call did."""
    meta, people = _t(store, "team_meta"), _t(store, "people")

    def write() -> bool:
        try:
            with store.engine.begin() as conn:
                conn.execute(meta.insert().values(key="owner", value=email))
                conn.execute(people.delete().where(people.c.email == email))
                conn.execute(
                    people.insert().values(
                        email=email, role="owner", name=name, created_at=utcnow()
                    )
                )
            return True
        except sa.exc.IntegrityError:
            return False

    return retrying(store.writes, "owner of the store", repr(store), write)


def rater_salt(store: Store) -> str:
    """The store's random salt for pseudonymous rater ids, made on first use and kept."""
    meta = _t(store, "team_meta")
    with store.engine.connect() as conn:
        value = conn.scalar(sa.select(meta.c.value).where(meta.c.key == "rater_salt"))
    if value is not None:
        return str(value)

    def write() -> None:
        try:
            with store.engine.begin() as conn:
                conn.execute(meta.insert().values(key="rater_salt", value=secrets.token_hex(16)))
        except sa.exc.IntegrityError:
            pass  # another process made it first: use theirs

    retrying(store.writes, "rater salt", repr(store), write)
    with store.engine.connect() as conn:
        return str(conn.scalar(sa.select(meta.c.value).where(meta.c.key == "rater_salt")))


def insert_audit(
    store: Store, actor: str, action: str, target: str, detail: dict[str, Any]
) -> None:
    audit = _t(store, "audit")
    row = dict(at=utcnow(), actor=actor, action=action, target=target, detail=detail)

    def write() -> None:
        with store.engine.begin() as conn:
            conn.execute(audit.insert().values(**row))

    retrying(store.writes, f"audit {action} {target}", repr(store), write)


def select_audit(
    store: Store,
    *,
    actor: str | None = None,
    target: str | None = None,
    action_prefix: str | None = None,
    limit: int | None = None,
) -> list[AuditRow]:
    """Audit events, oldest first, optionally only one actor's, one target's or one kind's."""
    audit = _t(store, "audit")
    query = sa.select(audit).order_by(audit.c.id)
    if actor is not None:
        query = query.where(audit.c.actor == actor)
    if target is not None:
        query = query.where(audit.c.target == target)
    if action_prefix is not None:
        query = query.where(audit.c.action.startswith(action_prefix, autoescape=True))
    if limit:
        query = query.order_by(None).order_by(audit.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    events = [
        AuditRow(
            id=r.id,
            at=aware(r.at),
            actor=r.actor,
            action=r.action,
            target=r.target,
            detail=r.detail or {},
        )
        for r in rows
    ]
    return sorted(events, key=lambda e: e.id)
