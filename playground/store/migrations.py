"""Schema migrations: small functions applied in order and recorded, so any old store upgrades
itself when opened. Never edit a released migration; add the next one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..records import utcnow

Migration = Callable[[Connection], None]


def m001_initial(conn: Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "runs",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("protocol", sa.String(64), nullable=False),
        sa.Column("dataset", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),  # running | done | interrupted | failed
        sa.Column("source", sa.String(16), nullable=False),  # cli | page | library
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),  # the resolved experiment, no secrets
        sa.Column("playground_version", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    sa.Table(
        "transcripts",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False, index=True),
        sa.Column("item_id", sa.Text, nullable=False),
        sa.Column("item", sa.JSON, nullable=False),
        sa.Column("assignment", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # running | done | error
        sa.Column("error", sa.Text),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    sa.Table(
        "turns",
        md,
        sa.Column(
            "transcript_id", sa.String(64), sa.ForeignKey("transcripts.id"), primary_key=True
        ),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("resolved_model", sa.Text),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("prompt_id", sa.Text),
        sa.Column("prompt_hash", sa.String(64)),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("latency_ms", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "verdicts",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("transcript_id", sa.String(64), sa.ForeignKey("transcripts.id"), index=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False, index=True),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # ok | unparseable | error
        sa.Column("choice", sa.Integer),
        sa.Column("credences", sa.JSON),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("turn_idx", sa.Integer),
        sa.Column("is_correct", sa.Boolean),
        sa.Column("provenance", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)


def m002_response_cache(conn: Connection) -> None:
    """A cache of model responses keyed on everything that determines a call, and a flag on
    each turn saying whether it was answered from that cache."""
    conn.execute(sa.text("ALTER TABLE turns ADD COLUMN cached BOOLEAN NOT NULL DEFAULT FALSE"))
    md = sa.MetaData()
    sa.Table(
        "response_cache",
        md,
        sa.Column("key", sa.String(64), primary_key=True),  # sha256 of the call's determinants
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)


def m003_prompt_versions(conn: Connection) -> None:
    """Prompt versions: immutable, content-addressed wordings of a prompt template. ``hash`` is
    `PromptTemplate.hash` of ``messages``, the same value every turn stores as ``prompt_hash``,
    so a logged turn joins its version on (prompt_id, hash). The same wording may be saved under
    two prompt ids, hence the two-column key."""
    md = sa.MetaData()
    sa.Table(
        "prompt_versions",
        md,
        sa.Column("prompt_id", sa.String(200), primary_key=True),
        sa.Column("hash", sa.String(64), primary_key=True, index=True),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("messages", sa.JSON, nullable=False),  # [[role, content], ...]
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("parent_hash", sa.String(64)),
        sa.Column("source", sa.String(16), nullable=False),  # file | page | cli | library
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)


def m004_verdict_metrics(conn: Connection) -> None:
    """``verdicts.metrics``: what a protocol measures beyond a choice (a consistency check's
    elicited probabilities and violation); null for ordinary judge verdicts."""
    conn.execute(sa.text("ALTER TABLE verdicts ADD COLUMN metrics JSON"))


def m005_scrub_secrets(conn: Connection) -> None:
    """Logs written before secrets were scrubbed on the way in may hold a base URL's
    user:password or query string, or an ``init`` key: scrub every run's config and every
    verdict's provenance in place (`playground.store.redact`)."""
    from .redact import scrub

    md = sa.MetaData()
    for name, key, column in (("runs", "id", "config"), ("verdicts", "id", "provenance")):
        table = sa.Table(name, md, autoload_with=conn)
        update = (
            table.update()
            .where(table.c[key] == sa.bindparam("_key"))
            .values({column: sa.bindparam("_value")})
        )
        changed = []
        for row_key, value in conn.execute(sa.select(table.c[key], table.c[column])):
            clean = scrub(value)
            if clean != value:
                changed.append({"_key": row_key, "_value": clean})
        for start in range(0, len(changed), 1000):
            conn.execute(update, changed[start : start + 1000])


def m006_record_column_names(conn: Connection) -> None:
    """Columns named as the record fields they hold, so no layer renames them on the way:
    ``turns.idx`` → ``turns.index`` (`Turn.index`), ``verdicts.turn_idx`` →
    ``verdicts.turn_index`` (`Verdict.turn_index`)."""
    conn.execute(sa.text('ALTER TABLE turns RENAME COLUMN idx TO "index"'))
    conn.execute(sa.text("ALTER TABLE verdicts RENAME COLUMN turn_idx TO turn_index"))


def m007_team(conn: Connection) -> None:
    """Team mode: ``people`` (a person is their lower-cased email, with a role: owner,
    researcher or annotator), ``audit`` (who did what to which target, when), ``team_meta``
    (the per-store random salt of pseudonymous rater ids) and ``runs.created_by`` (the
    signed-in person who started a run; null for a local single-user run)."""
    conn.execute(sa.text("ALTER TABLE runs ADD COLUMN created_by TEXT"))
    md = sa.MetaData()
    sa.Table(
        "people",
        md,
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),  # owner | researcher | annotator
        sa.Column("name", sa.Text),
        sa.Column("invited_by", sa.String(320)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in", sa.DateTime(timezone=True)),
    )
    sa.Table(
        "audit",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(320), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    sa.Table(
        "team_meta",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    md.create_all(conn)


def m008_studies(conn: Connection) -> None:
    """Human studies (`playground.studies`): a study, its tasks, the k judgment slots of each
    task that people lease and fill, and the tasks people skipped. Lease times are Unix seconds
    (floats), compared the same way on SQLite and PostgreSQL."""
    md = sa.MetaData()
    sa.Table("transcripts", md, autoload_with=conn)
    sa.Table(
        "studies",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # judging | approval
        sa.Column("status", sa.String(16), nullable=False),  # open | closed
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    sa.Table(
        "study_tasks",
        md,
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("transcript_id", sa.String(64), sa.ForeignKey("transcripts.id"), nullable=False),
        sa.Column("step", sa.Integer),  # approval tasks: the episode's step
        sa.Column("item_key", sa.String(255), nullable=False),
        sa.Column("gold", sa.Boolean, nullable=False),
        sa.Column("answer", sa.Integer),  # the true answer (gold tasks: the known one)
        sa.Column("k", sa.Integer, nullable=False),
        sa.Column("view", sa.JSON, nullable=False),  # the blinded TaskView body
    )
    sa.Table(
        "study_slots",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.Integer),  # 1..k; null for a gold task's per-person slot
        sa.Column("item_key", sa.String(255), nullable=False),
        sa.Column("person", sa.String(320)),
        sa.Column("state", sa.String(16), nullable=False),  # open | leased | done
        sa.Column("assignment_id", sa.String(64), unique=True),
        sa.Column("leased_at", sa.Float),
        sa.Column("lease_until", sa.Float),
        sa.Column("submitted_at", sa.Float),
        sa.Column("verdict_id", sa.String(64)),
        sa.UniqueConstraint("study_id", "task_id", "slot", name="uq_study_slot"),
        # a person holds at most one slot per item: never both positions, never twice
        sa.UniqueConstraint("study_id", "item_key", "person", name="uq_study_person_item"),
        sa.Index("ix_study_slots_state", "study_id", "state"),
    )
    sa.Table(
        "study_skips",
        md,
        sa.Column("study_id", sa.String(64), sa.ForeignKey("studies.id"), primary_key=True),
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(320), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn)


def m009_batches(conn: Connection) -> None:
    """Provider batches a run submitted (`playground.store.batches`), and which request went into
    which, so a killed batch run resumes by collecting them instead of paying for them again."""
    md = sa.MetaData()
    sa.Table(
        "batches",
        md,
        sa.Column("id", sa.String(64), primary_key=True),  # ours, written before submitting
        sa.Column("run_id", sa.String(64), nullable=False, index=True),  # a run's id
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("remote_id", sa.Text),  # the provider's batch id, once it has one
        sa.Column("wave", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),  # submitting | provider's | collected
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("succeeded", sa.Integer, nullable=False, default=0),
        sa.Column("failed", sa.Integer, nullable=False, default=0),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    sa.Table(
        "batch_requests",
        md,
        sa.Column("batch_id", sa.String(64), sa.ForeignKey("batches.id"), primary_key=True),
        sa.Column("custom_id", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("request_key", sa.String(96), nullable=False),  # sha256 of the call, no text
        sa.Column("state", sa.String(16), nullable=False),  # pending | ok | failed | retried
        sa.Index("ix_batch_requests_run_key", "run_id", "request_key"),
    )
    md.create_all(conn)


MIGRATIONS: list[Migration] = [
    m001_initial,
    m002_response_cache,
    m003_prompt_versions,
    m004_verdict_metrics,
    m005_scrub_secrets,
    m006_record_column_names,
    m007_team,
    m008_studies,
    m009_batches,
]

_applied = sa.Table(
    "schema_migrations",
    sa.MetaData(),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def migrate(engine: sa.Engine) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; return their names.

    On PostgreSQL one process at a time does this: another opening the same database at that
    moment waits, then finds nothing left to do."""
    with _one_migrator(engine):
        _applied.metadata.create_all(engine)
        done: list[str] = []
        with engine.connect() as conn:
            applied = set(conn.scalars(sa.select(_applied.c.name)))
        for migration in MIGRATIONS:
            if migration.__name__ in applied:
                continue
            with engine.begin() as conn:
                migration(conn)
                conn.execute(_applied.insert().values(name=migration.__name__, applied_at=utcnow()))
            done.append(migration.__name__)
        return done


# Any fixed number, the same in every process; PostgreSQL advisory locks are per database.
_MIGRATION_LOCK = 7_100_001


@contextmanager
def _one_migrator(engine: sa.Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for migrations (on its own connection, released even if
    a migration fails, and by the server if the process dies); elsewhere do nothing."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(_MIGRATION_LOCK)))
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(_MIGRATION_LOCK)))
