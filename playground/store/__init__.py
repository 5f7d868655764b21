"""The log: runs, transcripts, turns and verdicts in SQLite (default) or PostgreSQL, written as
they happen, so a crash loses at most the calls in flight."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..events import (
    Event,
    Sink,
    TranscriptFinished,
    TranscriptStarted,
    TurnCompleted,
    VerdictReached,
)
from ..records import plan_key, utcnow
from .migrations import migrate
from .redact import scrub
from .views import RunInfo, TranscriptView, build_records, build_transcripts, run_info
from .writes import StoreUnavailable, WritePolicy, describe, retrying

__all__ = ["RunInfo", "Store", "StoreUnavailable", "TranscriptView", "WritePolicy", "default_url"]

log = logging.getLogger("playground.store")


def default_url() -> str:
    """``PLAYGROUND_DB`` (a URL, or a path to a SQLite file), else a file in the user data dir."""
    configured = os.environ.get("PLAYGROUND_DB")
    if configured:
        return configured if "://" in configured else f"sqlite:///{Path(configured).resolve()}"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'oversight-playground' / 'playground.db'}"


def _sqlite_pragmas(busy_timeout_ms: float, dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the page read while a batch writes; busy_timeout waits out a writer instead of
    # failing with "database is locked" at once (longer locks are retried, `writes`).
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    # Timestamps come back in the session's time zone: UTC, as SQLite's do, whatever the
    # server's default.
    with dbapi_conn.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_no_nul(v) for v in value)
    return value


def _postgres_text(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    # PostgreSQL text cannot hold U+0000, which SQLite stores and a model may emit: it is
    # stored as U+FFFD rather than failing the write (JSON columns escape it and keep it).
    return statement, _no_nul(parameters)


class Store:
    """A database holding the log. Opening it applies any pending migration. ``writes`` says
    how long a write waits out a locked or failing database before the run stops
    (`StoreUnavailable`)."""

    def __init__(self, url: str | None = None, *, writes: WritePolicy | None = None) -> None:
        self.writes = writes or WritePolicy.from_env()
        url = url or default_url()
        if "://" not in url:
            url = f"sqlite:///{Path(url).resolve()}"
        self.url = sa.make_url(url)
        if self.url.get_backend_name() == "sqlite" and self.url.database not in (
            None,
            "",
            ":memory:",
        ):
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        # a failed write must never print its row values (a turn's text, a config) in the
        # error it raises
        kwargs: dict[str, Any] = {"hide_parameters": True}
        if self.url.get_backend_name() == "sqlite":
            timeout = self.writes.busy_timeout_s
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout}
        else:
            # a server restart or an idle timeout leaves dead connections in the pool
            kwargs["pool_pre_ping"] = True
        self.engine = sa.create_engine(self.url, **kwargs)
        if self.url.get_backend_name() == "sqlite":
            pragmas = partial(_sqlite_pragmas, self.writes.busy_timeout_s * 1000)
            sa.event.listen(self.engine, "connect", pragmas)
        elif self.url.get_backend_name() == "postgresql":
            sa.event.listen(self.engine, "connect", _postgres_session)
            sa.event.listen(self.engine, "before_cursor_execute", _postgres_text, retval=True)
        migrate(self.engine)
        self.metadata = sa.MetaData()
        self.metadata.reflect(
            self.engine, only=["runs", "transcripts", "turns", "verdicts", "response_cache"]
        )
        self.runs = self.metadata.tables["runs"]
        self.transcripts = self.metadata.tables["transcripts"]
        self.turns = self.metadata.tables["turns"]
        self.verdicts = self.metadata.tables["verdicts"]
        self.response_cache = self.metadata.tables["response_cache"]

    def __repr__(self) -> str:
        return f"<Store {self.url.render_as_string(hide_password=True)}>"

    def _write(
        self, what: str, statement: sa.Executable, params: dict[str, Any] | None = None
    ) -> None:
        # one short transaction per event: a crash loses at most the calls in flight. Rows go
        # in as parameters of a plain insert(), whose compiled form SQLAlchemy caches.
        def write() -> None:
            with self.engine.begin() as conn:
                conn.execute(statement, params)

        retrying(self.writes, what, repr(self), write)

    # -- writes ---------------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        *,
        name: str,
        protocol: str,
        dataset: str | None,
        config: dict[str, Any],
        tags: list[str],
        version: str,
        source: str,
        created_by: str | None = None,
    ) -> None:
        self._write(
            f"run {run_id}",
            self.runs.insert().values(
                id=run_id,
                name=name,
                protocol=protocol,
                dataset=dataset,
                status="running",
                source=source,
                tags=tags,
                config=scrub(config),
                playground_version=version,
                created_at=utcnow(),
                created_by=created_by,
            ),
        )

    def finish_run(self, run_id: str, status: str, extra: dict[str, Any] | None = None) -> None:
        """Record how a run ended, with ``extra`` keys laid over its stored config (e.g. the
        limits in force). A run stopping as ``failed`` because the store cannot be written may
        not get even this far: it then stays ``running``, which resumes too."""
        values: dict[str, Any] = {"status": status, "finished_at": utcnow()}
        if extra:
            try:
                with self.engine.connect() as conn:
                    stored = conn.execute(
                        sa.select(self.runs.c.config).where(self.runs.c.id == run_id)
                    ).scalar()
                values["config"] = scrub({**(stored or {}), **extra})
            except sa.exc.SQLAlchemyError as error:  # the status matters more than the extra
                log.warning("run %s: config not updated: %s", run_id, describe(error))
        try:
            self._write(
                f"run {run_id} {status}",
                self.runs.update().where(self.runs.c.id == run_id).values(**values),
            )
        except StoreUnavailable as error:
            if status != "failed":
                raise
            log.error("run %s stays 'running' (resumable): %s", run_id, error)

    def reopen_run(self, run_id: str) -> set[tuple[str, str]]:
        """Prepare a run to be resumed: mark transcripts that never reached a verdict
        ``abandoned`` (their turns stay; they produce no record), mark those that reached one
        but were never marked finished ``done``, and return the plan keys
        (`records.plan_key`) of those with a verdict, which are not to be run again."""
        return retrying(
            self.writes, f"reopen run {run_id}", repr(self), lambda: self._reopen(run_id)
        )

    def _reopen(self, run_id: str) -> set[tuple[str, str]]:
        tr, v = self.transcripts, self.verdicts
        has_verdict = sa.exists().where(v.c.transcript_id == tr.c.id)
        with self.engine.begin() as conn:
            finished = conn.execute(
                sa.select(tr.c.item_id, tr.c.assignment).where(tr.c.run_id == run_id, has_verdict)
            ).all()
            conn.execute(
                tr.update()
                .where(tr.c.run_id == run_id, ~has_verdict)
                .values(status="abandoned", finished_at=utcnow())
            )
            # killed between its verdict and its end: the verdict stands (the transcript is not
            # run again), so the transcript is done rather than "running" forever
            conn.execute(
                tr.update()
                .where(tr.c.run_id == run_id, tr.c.status == "running", has_verdict)
                .values(status="done", finished_at=utcnow())
            )
            conn.execute(
                self.runs.update()
                .where(self.runs.c.id == run_id)
                .values(status="running", finished_at=None)
            )
        return {plan_key(row.item_id, row.assignment) for row in finished}

    def record(self, event: Event) -> None:
        """Persist what an event says, if anything; this is the store's `Sink`. A write the
        database refuses for longer than `writes` allows raises `StoreUnavailable`."""
        match event:
            case TranscriptStarted():
                self._write(
                    f"transcript {event.transcript_id}",
                    self.transcripts.insert(),
                    dict(
                        id=event.transcript_id,
                        run_id=event.run_id,
                        item_id=event.item.id,
                        item=event.item.model_dump(mode="json"),
                        assignment=event.assignment.model_dump(mode="json"),
                        status="running",
                        parent_id=event.parent_id,
                        created_at=utcnow(),
                    ),
                )
            case TurnCompleted(turn=turn):
                row = turn.model_dump(mode="json", exclude={"created_at"})
                row.update(transcript_id=event.transcript_id, created_at=turn.created_at)
                self._write(f"turn {turn.index} of {event.transcript_id}", self.turns.insert(), row)
            case VerdictReached(verdict=verdict):
                self._write(
                    f"verdict {event.verdict_id}",
                    self.verdicts.insert(),
                    dict(
                        id=event.verdict_id,
                        transcript_id=event.transcript_id,
                        run_id=event.run_id,
                        role=verdict.role,
                        status=verdict.status,
                        choice=verdict.choice,
                        credences=verdict.credences,
                        raw=verdict.raw,
                        reason=verdict.reason,
                        turn_index=verdict.turn_index,
                        metrics=verdict.metrics,
                        is_correct=event.is_correct,
                        provenance=scrub(event.provenance.model_dump(mode="json")),
                        created_at=utcnow(),
                    ),
                )
            case TranscriptFinished():
                self._write(
                    f"end of transcript {event.transcript_id}",
                    self.transcripts.update()
                    .where(self.transcripts.c.id == event.transcript_id)
                    .values(status=event.status, error=event.error, finished_at=utcnow()),
                )
            case _:
                pass

    @property
    def sink(self) -> Sink:
        return self.record

    # -- reads ----------------------------------------------------------------------------

    def list_runs(self, limit: int | None = None) -> list[RunInfo]:
        """Runs, newest first, with verdict counts."""
        with self.engine.connect() as conn:
            query = sa.select(self.runs).order_by(self.runs.c.created_at.desc())
            if limit:
                query = query.limit(limit)
            rows = conn.execute(query).mappings().all()
            return [run_info(self, conn, dict(r)) for r in rows]

    def get_run(self, run_id: str) -> RunInfo | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(self.runs).where(self.runs.c.id == run_id))
                .mappings()
                .first()
            )
            return run_info(self, conn, dict(row)) if row else None

    def transcripts_of(self, run_id: str) -> list[TranscriptView]:
        """A run's transcripts with their turns and verdicts, in the order they started."""
        with self.engine.connect() as conn:
            return build_transcripts(self, conn, run_id)

    def get_transcript(self, transcript_id: str) -> TranscriptView | None:
        """One stored transcript with its turns and verdicts."""
        with self.engine.connect() as conn:
            run_id = conn.scalar(
                sa.select(self.transcripts.c.run_id).where(self.transcripts.c.id == transcript_id)
            )
            if run_id is None:
                return None
            views = build_transcripts(self, conn, run_id)
        return next(v for v in views if v.id == transcript_id)

    def iter_records(self, run_id: str | None = None) -> Iterator[Any]:
        """Every verdict as an export `Record`, oldest run first; one run with ``run_id``."""
        with self.engine.connect() as conn:
            yield from build_records(self, conn, run_id)
