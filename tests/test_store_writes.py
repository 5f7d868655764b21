"""A store that is locked for a while, or stays locked, by another process holding a real SQLite
write lock: writes are retried, cache writes are skipped, and a store that stays unwritable
stops the run as ``failed`` (resumable), never ``done`` with error verdicts."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import pytest

from playground.experiments import Experiment, ExperimentError, run_experiment
from playground.providers import GenerateConfig, Message, get_model
from playground.store import Store, WritePolicy
from playground.store.cache import ResponseCache

FAKE = "langchain:langchain_core.language_models.fake_chat_models.FakeListChatModel"
HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


class Lock:
    """Another process holding the database's write lock until `release`."""

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)


class ReleaseAfter(logging.Handler):
    """Releases the lock once the store has logged ``count`` lines containing ``text``: the
    store's own log says how far it got, so the test needs no sleeps."""

    def __init__(self, text: str, count: int) -> None:
        super().__init__(logging.WARNING)
        self.text, self.count, self.seen = text, count, []
        self.holder: Lock | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())
        if self.holder and sum(self.text in m for m in self.seen) >= self.count:
            self.holder.release()


@pytest.fixture
def release_after(request):
    logger = logging.getLogger("playground.store")
    handlers = []

    def attach(text: str, count: int) -> ReleaseAfter:
        handler = ReleaseAfter(text, count)
        logger.addHandler(handler)
        handlers.append(handler)
        return handler

    yield attach
    for handler in handlers:
        logger.removeHandler(handler)
        if handler.holder:
            handler.holder.release()


def experiment() -> Experiment:
    return Experiment.model_validate(
        {
            "name": "locked",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": 3,
            "concurrency": 2,
            "options": {"rounds": 1},
            "roles": {
                "debater": {"model": FAKE, "init": {"responses": ["Mine is right."]}},
                "judge": {"model": FAKE, "init": {"responses": ["Answer: A\nConfidence: 70"]}},
            },
        }
    )


def open_store(tmp_path, give_up_after_s: float) -> Store:
    policy = WritePolicy(busy_timeout_s=0.05, give_up_after_s=give_up_after_s, first_wait_s=0.05)
    return Store(str(tmp_path / "log.db"), writes=policy)


def test_a_store_locked_for_a_while_loses_nothing(tmp_path, release_after):
    store = open_store(tmp_path, give_up_after_s=120)
    handler = release_after("retrying", 3)

    def lock_now(run_id: str) -> None:
        handler.holder = Lock(tmp_path / "log.db")

    summary = asyncio.run(run_experiment(experiment(), store, on_start=lock_now))
    assert sum("retrying" in m for m in handler.seen) >= 3  # it was locked, and waited
    assert summary.info.status == "done"
    assert summary.info.verdicts == {"ok": 3}
    assert all(t.status == "done" for t in store.transcripts_of(summary.info.id))


def test_a_store_that_stays_locked_stops_the_run_as_failed_and_it_resumes(tmp_path, release_after):
    store = open_store(tmp_path, give_up_after_s=0.5)
    handler = release_after("failed for good", 1)  # released only once the run gave up

    def lock_now(run_id: str) -> None:
        handler.holder = Lock(tmp_path / "log.db")

    with pytest.raises(ExperimentError) as stopped:
        asyncio.run(run_experiment(experiment(), store, on_start=lock_now))
    message = str(stopped.value)
    assert "stopped as failed" in message and "--resume" in message and "locked" in message
    assert "\n" not in message
    [info] = store.list_runs()
    assert info.status == "failed"
    assert "error" not in info.verdicts  # no good completion was turned into an error verdict

    resumed = asyncio.run(run_experiment(None, store, resume=info.id))
    assert resumed.info.status == "done"
    assert resumed.info.verdicts == {"ok": 3}


def test_cache_writes_are_best_effort(tmp_path, release_after):
    store = open_store(tmp_path, give_up_after_s=0.2)
    handler = release_after("never released by the log", 1)
    cache = ResponseCache(store)
    model = get_model(FAKE, responses=["cached?"])
    ask = [Message(role="user", content="hi")]
    completion = asyncio.run(model.generate(ask, GenerateConfig()))
    key, hit = cache.lookup(model, ask, GenerateConfig())
    assert hit is None
    handler.holder = Lock(tmp_path / "log.db")
    cache.put(key, model, completion)  # locked: logged and skipped, not raised
    assert any("not cached" in m for m in handler.seen)
    handler.holder.release()
    assert cache.get(key) is None
    cache.put(key, model, completion)
    assert cache.get(key).text == "cached?"


def test_the_cli_says_in_one_line_that_the_store_stays_locked(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from playground.cli import cli

    db = tmp_path / "log.db"
    Store(str(db)).engine.dispose()  # created and migrated: opening it again only reads
    path = tmp_path / "x.toml"
    path.write_text(
        f'name = "x"\nprotocol = "debate"\ndataset = "builtin:reading"\nlimit = 1\n'
        f'[roles.debater]\nmodel = "{FAKE}"\ninit = {{ responses = ["Mine."] }}\n'
        f'[roles.judge]\nmodel = "{FAKE}"\ninit = {{ responses = ["Answer: A"] }}\n'
    )
    monkeypatch.setenv("PLAYGROUND_DB_WAIT_S", "0.3")
    holder = Lock(db)
    try:
        result = CliRunner().invoke(cli, ["--db", str(db), "run", str(path)])
    finally:
        holder.release()
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "could not be written" in error and "database is locked" in error
    assert "Traceback" not in result.output and Store(str(db)).list_runs() == []
