"""The store: migrations as versioned code, WAL on SQLite, where the file lives."""

import sqlalchemy as sa

from playground.store import Store, default_url
from playground.store.migrations import MIGRATIONS, migrate


def test_migrations_apply_once_and_are_recorded(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store(url)
    with store.engine.connect() as conn:
        names = list(conn.scalars(sa.text("SELECT name FROM schema_migrations ORDER BY name")))
    assert names == [m.__name__ for m in MIGRATIONS]
    assert migrate(store.engine) == []  # nothing left to do on reopen
    assert Store(url).runs.c.keys() == store.runs.c.keys()


def test_sqlite_uses_wal_and_busy_timeout(tmp_path):
    store = Store(str(tmp_path / "b.db"))  # a plain path means SQLite
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_default_url(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_DB", str(tmp_path / "x.db"))
    assert default_url() == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("PLAYGROUND_DB", "postgresql+psycopg://u@localhost/db")
    assert default_url() == "postgresql+psycopg://u@localhost/db"
    monkeypatch.delenv("PLAYGROUND_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/oversight-playground/playground.db"


def test_repr_hides_password(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    assert "c.db" in repr(store)
