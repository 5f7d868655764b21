"""Bulk reads of the log: statements compiled for the store's dialect and run on a plain DBAPI
cursor (SQLAlchemy's Row objects cost more than the queries themselves at 100k rows)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import Store


class Reader:
    """A DBAPI connection for bulk reads and the dialect to compile statements for. On a SQLite
    file it is a plain read-only `sqlite3` connection outside the store's pool: two of those
    read in parallel threads (SQLite releases the GIL while it works), which the pooled
    connections were measured not to do."""

    def __init__(self, store: Store) -> None:
        self.dialect = store.engine.dialect
        self._conn: sa.Connection | None = None
        database = store.url.database
        self.sqlite_file = bool(
            store.url.get_backend_name() == "sqlite" and database and database != ":memory:"
        )
        """Reading a SQLite file through a plain `sqlite3` connection."""
        if self.sqlite_file:
            uri = f"{Path(str(database)).resolve().as_uri()}?mode=ro"
            self.dbapi: Any = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
            self._math_functions()
        else:
            self._conn = store.engine.connect()
            self.dbapi = self._conn.connection.dbapi_connection

    def _math_functions(self) -> None:
        """SQLite builds without math functions get ``ln`` and ``floor`` from Python (slower)."""
        try:
            self.dbapi.execute("SELECT ln(1), floor(1.5)").fetchall()
        except sqlite3.OperationalError:
            self.dbapi.create_function("ln", 1, lambda x: math.log(x) if x and x > 0 else None)
            self.dbapi.create_function("floor", 1, lambda x: None if x is None else math.floor(x))

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_: object) -> None:
        if self._conn is not None:
            self._conn.close()
        else:
            self.dbapi.close()


def raw_rows(reader: Reader | sa.Connection, stmt: sa.ClauseElement) -> list[tuple[Any, ...]]:
    """Run a Core statement on the DBAPI cursor and return plain tuples: SQLAlchemy's Row objects
    cost more than the query itself at this size. Parameters are rendered as escaped literals
    (the statements here bind only ids and JSON paths)."""
    if isinstance(reader, sa.Connection):
        dialect, dbapi = reader.dialect, reader.connection.dbapi_connection
    else:
        dialect, dbapi = reader.dialect, reader.dbapi
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    cursor: Any = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def in_chunks(
    conn: Reader | sa.Connection,
    stmt: sa.Select,
    column: sa.ColumnElement,
    ids: Sequence[str] | None,
) -> list[tuple[Any, ...]]:
    if ids is None:
        return raw_rows(conn, stmt)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 500):
        rows += raw_rows(conn, stmt.where(column.in_(list(ids[start : start + 500]))))
    return rows


def as_text(col: sa.ColumnElement) -> sa.ColumnElement:
    return sa.cast(col, sa.Text)
