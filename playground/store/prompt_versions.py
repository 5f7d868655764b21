"""Prompt versions as stored: the ``prompt_versions`` table (migration m003) read and written
for `playground.prompting.versions`, which adds references, template files and validation.

A version is a `PromptTemplate` kept with an optional note and its parent version; its hash is
`PromptTemplate.hash` of its messages, the value every turn records as ``prompt_hash``. A row
is never updated: inserting a wording that is there already leaves the first row.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..prompts import PromptError, PromptTemplate
from ..records import utcnow
from . import Store
from .views import aware
from .writes import retrying

__all__ = ["PromptVersion", "insert_version", "select_versions"]


@dataclass(frozen=True, kw_only=True)
class PromptVersion:
    """One stored version: its template, why it was made, and what it was made from."""

    template: PromptTemplate
    source: str
    note: str | None = None
    parent_hash: str | None = None
    created_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.template.id

    @property
    def hash(self) -> str:
        return self.template.hash

    @property
    def role(self) -> str:
        return self.template.role

    @property
    def ref(self) -> str:
        """``id@hash12``: short enough to read, long enough to pin."""
        return f"{self.id}@{self.hash[:12]}"

    @property
    def pin(self) -> str:
        """``id@<full hash>``, for an experiment's ``prompt`` key."""
        return f"{self.id}@{self.hash}"


_tables: weakref.WeakKeyDictionary[Store, sa.Table] = weakref.WeakKeyDictionary()


def _table(store: Store) -> sa.Table:
    """The ``prompt_versions`` table, read back by reflection like the store's own tables
    (migration m003 is its one definition)."""
    table = _tables.get(store)
    if table is None:
        table = sa.Table("prompt_versions", sa.MetaData(), autoload_with=store.engine)
        _tables[store] = table
    return table


def _from_row(row: Any) -> PromptVersion:
    template = PromptTemplate(
        id=row.prompt_id,
        messages=tuple((role, content) for role, content in row.messages),
        role=row.role,
        description=row.description,
        source=f"store:{row.hash[:12]}",
    )
    if template.hash != row.hash:
        raise PromptError(f"prompt {row.prompt_id}@{row.hash[:12]}: stored messages do not match")
    return PromptVersion(
        template=template,
        source=row.source,
        note=row.note,
        parent_hash=row.parent_hash,
        created_at=aware(row.created_at),
    )


def insert_version(store: Store, version: PromptVersion) -> bool:
    """Insert a version unless (id, hash) is there already; returns whether it was new."""
    table = _table(store)
    row = {
        "prompt_id": version.id,
        "hash": version.hash,
        "role": version.role,
        "messages": [list(m) for m in version.template.messages],
        "description": version.template.description,
        "note": version.note,
        "parent_hash": version.parent_hash,
        "source": version.source,
        "created_at": version.created_at or utcnow(),
    }

    def write() -> bool:
        try:
            with store.engine.begin() as conn:
                conn.execute(table.insert(), row)
        except sa.exc.IntegrityError:
            return False  # saved before (perhaps at this very moment by another process)
        return True

    return retrying(store.writes, f"prompt version {version.ref}", repr(store), write)


def select_versions(
    store: Store,
    *,
    prompt_id: str | None = None,
    digest: str | None = None,
    prefix: str | None = None,
    role: str | None = None,
) -> list[PromptVersion]:
    """Stored versions, oldest first, narrowed to a prompt id, an exact hash, a hash prefix
    and/or a role."""
    table = _table(store)
    where: list[Any] = []
    if prompt_id is not None:
        where.append(table.c.prompt_id == prompt_id)
    if digest is not None:
        where.append(table.c.hash == digest)
    if prefix:
        where.append(table.c.hash.startswith(prefix))
    if role is not None:
        where.append(table.c.role == role)
    query = sa.select(table).where(*where).order_by(table.c.created_at, table.c.hash)
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(query)]
