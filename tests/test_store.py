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


def test_an_old_log_upgrades_to_the_record_column_names(tmp_path, monkeypatch):
    """A log written before m006 (``turns.idx``, ``verdicts.turn_idx``) opens with the record's
    names (``index``, ``turn_index``) and reads back the same turns and verdicts."""
    from datetime import UTC, datetime

    from playground.store import migrations

    url = f"sqlite:///{tmp_path / 'old.db'}"
    before = MIGRATIONS[: MIGRATIONS.index(migrations.m006_record_column_names)]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    old = Store(url)
    assert "idx" in old.turns.c and "turn_idx" in old.verdicts.c
    now = datetime.now(UTC)
    with old.engine.begin() as conn:
        conn.execute(old.runs.insert().values(
            id="r", name="old", protocol="debate", status="done", source="cli", tags=[],
            config={}, playground_version="0", created_at=now))  # fmt: skip
        conn.execute(old.transcripts.insert().values(
            id="t", run_id="r", item_id="q", status="done", created_at=now,
            item={"id": "q", "question": "Q?", "answers": ["a", "b"], "correct": 1},
            assignment={"seats": {}, "display_order": [0, 1]}))  # fmt: skip
        for i, role in enumerate(["debater_a", "judge"]):
            conn.execute(old.turns.insert().values(
                transcript_id="t", idx=i, role=role, model="x/y", content=f"turn {i}",
                params={}, retries=0, meta={}, created_at=now))  # fmt: skip
        conn.execute(old.verdicts.insert().values(
            id="v", transcript_id="t", run_id="r", role="judge", status="ok", choice=1,
            raw="B", turn_idx=1, is_correct=True, created_at=now,
            provenance={"roles": {}, "playground_version": "0", "created_at": now.isoformat()}))  # fmt: skip
    old.engine.dispose()
    monkeypatch.undo()

    store = Store(url)
    assert "index" in store.turns.c and "idx" not in store.turns.c
    assert "turn_index" in store.verdicts.c and "turn_idx" not in store.verdicts.c
    [view] = store.transcripts_of("r")
    assert [(t.index, t.content) for t in view.turns] == [(0, "turn 0"), (1, "turn 1")]
    [(_, verdict, correct)] = view.verdicts
    assert verdict.turn_index == 1 and correct is True
    [record] = store.iter_records("r")
    assert [t.index for t in record.turns] == [0, 1] and record.verdict.turn_index == 1


def test_a_transcript_killed_after_its_verdict_is_done_once_resumed(store):
    """A process killed between a transcript's verdict and its end leaves it ``running``; the
    resume keeps the verdict (it is not run again) and marks the transcript done."""
    from playground.events import TranscriptStarted, VerdictReached
    from playground.records import Assignment, Item, Provenance, Verdict, utcnow

    store.create_run("r", name="r", protocol="debate", dataset=None, config={}, tags=[],
                     version="0", source="cli")  # fmt: skip
    item = Item(id="q", question="Q?", answers=["a", "b"], correct=0)
    assignment = Assignment(seats={}, display_order=[0, 1])
    for tid in ("judged", "unjudged"):
        store.record(TranscriptStarted("r", tid, item, assignment))
    prov = Provenance(roles={}, playground_version="0", created_at=utcnow())
    verdict = Verdict(status="ok", choice=0, raw="A", role="judge")
    store.record(VerdictReached("r", "judged", "v", verdict, True, prov))
    keys = store.reopen_run("r")
    assert len(keys) == 1
    assert {v.id: v.status for v in store.transcripts_of("r")} == {
        "judged": "done",
        "unjudged": "abandoned",
    }
