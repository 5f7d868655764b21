"""The store on a real PostgreSQL server (started by tests/pg.py on a unix socket): migrations,
the same records as SQLite, several processes writing at once, connections that drop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from pg import connect
from test_debate import experiment, run

from playground.records import utcnow
from playground.store import Store
from playground.store.migrations import MIGRATIONS, migrate

TESTS = Path(__file__).parent

# Waits at a barrier (a file) after the slow imports, so every process opens the store and
# writes at the same moment; then runs a debate experiment, or with dataset "-" only opens.
WORKER = """
import asyncio, sys, time
from pathlib import Path
from playground.experiments import run_experiment
from playground.providers.scripted import ScriptedModel
from playground.store import Store
from test_debate import debater, experiment

url, dataset, go, name = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
Path(f"{go}.{name}").touch()
while not go.exists():
    time.sleep(0.001)
store = Store(url)
if dataset != "-":
    exp = experiment(dataset, concurrency=8, swap_positions=True)
    models = {
        "debater_a": ScriptedModel(debater, delay=0.002),
        "debater_b": ScriptedModel(debater, delay=0.001),
        "judge": ScriptedModel(["Answer: B\\nConfidence: 70"], delay=0.002),
    }
    print(asyncio.run(run_experiment(exp, store, models=models)).info.id)
print(len(store.list_runs()))
"""


def run_at_once(url: str, datasets: list[str], tmp_path: Path) -> list[str]:
    """Run WORKER in one process per dataset, released together; return their outputs."""
    go = tmp_path / "go"
    path = [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, dataset, str(go), str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, dataset in enumerate(datasets)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(Path(f"{go}.{i}").exists() for i in range(len(procs))):
            assert all(p.poll() is None for p in procs), "a worker died before the barrier"
            assert time.monotonic() < deadline, "workers did not reach the barrier"
            time.sleep(0.01)
        go.touch()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    return [out for out, _ in outputs]


def scalars(url: str, sql: str) -> list:
    with connect(sa.make_url(url)) as conn:
        return [row[0] for row in conn.execute(sql)]


def comparable(value):
    """A record's JSON without what differs between two identical runs: ids, times."""
    volatile = {"run_id", "transcript_id", "verdict_id", "parent_id", "latency_ms"}
    if isinstance(value, dict):
        return {
            k: comparable(v)
            for k, v in value.items()
            if k not in volatile and not k.endswith(("created_at", "finished_at"))
        }
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def test_migrations_apply_once_and_are_recorded(fresh_postgres_url):
    store = Store(fresh_postgres_url)
    names = [m.__name__ for m in MIGRATIONS]
    assert scalars(fresh_postgres_url, "SELECT name FROM schema_migrations ORDER BY name") == names
    assert migrate(store.engine) == []  # nothing left to do on reopen
    again = Store(fresh_postgres_url)
    assert again.runs.c.keys() == store.runs.c.keys()
    assert scalars(fresh_postgres_url, "SELECT count(*) FROM schema_migrations") == [len(names)]


def test_debate_records_match_sqlite_and_times_are_utc(fresh_postgres_url, store, tiny_dataset):
    """The same experiment in SQLite and PostgreSQL reads back as the same records; the
    server's own time zone (not UTC here) shows nowhere."""
    before = utcnow()
    pg = Store(fresh_postgres_url)
    results = {}
    for label, target in (("sqlite", store), ("postgres", pg)):
        summary, _ = run(experiment(tiny_dataset, concurrency=1, swap_positions=True), target)
        records = sorted(
            target.iter_records(summary.info.id),
            key=lambda r: (r.item_id, r.assignment.swapped),
        )
        results[label] = (summary.info, records)
    (sqlite_info, sqlite_records), (pg_info, pg_records) = results.values()

    assert len(pg_records) == 6
    assert [comparable(r.model_dump(mode="json")) for r in pg_records] == [
        comparable(r.model_dump(mode="json")) for r in sqlite_records
    ]
    for r in pg_records:  # JSON columns come back as the same Python values
        assert isinstance(r.verdict.credences, list)
        assert len(r.verdict.credences) == len(r.answers)
        assert r.provenance.roles["judge"].prompt_id == "debate/judge"
        assert r.turns[0].params == {"max_tokens": 60}
    stamps = [pg_info.created_at, pg_info.finished_at]
    for r in pg_records:
        stamps += [r.origin.verdict_created_at, r.origin.transcript.created_at]
        stamps += [t.created_at for t in r.turns]
    assert all(s.utcoffset() == timedelta(0) for s in stamps)  # aware, and in UTC
    assert all(before <= s <= utcnow() for s in stamps)
    exported = "".join(r.model_dump_json() for r in pg_records)
    assert "-05:00" not in exported and "-04:00" not in exported

    def counts(info):
        return (info.status, info.transcripts, info.verdicts, info.correct, info.input_tokens)

    assert (pg_info.status, pg_info.verdicts) == ("done", {"ok": 6})
    assert counts(pg_info) == counts(sqlite_info)
    [listed] = pg.list_runs()
    assert counts(listed) == counts(pg_info)


def test_json_columns_round_trip(fresh_postgres_url):
    store = Store(fresh_postgres_url)
    config = {
        "nested": {"deep": [{"a": None, "b": True, "c": 1.5e-12}, [], {}], "n": 2**40},
        "text": 'unicode ☃ "quoted" \\ back\nline',
        "credences": [0.1, 0.2, 0.7],
    }
    store.create_run(
        "r1",
        name="json",
        protocol="debate",
        dataset=None,
        config=config,
        tags=["a", "b"],
        version="0",
        source="library",
    )
    info = store.get_run("r1")
    assert info.config == config and info.tags == ["a", "b"]
    assert info.created_at.utcoffset() == timedelta(0)


def test_several_processes_write_one_database_at_once(fresh_postgres_url, tmp_path):
    """Four processes, each running an experiment with 8 transcripts in flight, start on a
    database no one has migrated yet, at the same moment: every item gets exactly one verdict."""
    items = [
        {"id": f"q{i}", "question": f"Question {i}?", "answers": ["Yes", "No"], "correct": i % 2}
        for i in range(10)
    ]
    dataset = tmp_path / "items.jsonl"
    dataset.write_text("".join(json.dumps(i) + "\n" for i in items))
    outputs = run_at_once(fresh_postgres_url, [str(dataset)] * 4, tmp_path)
    run_ids = {out.split()[0] for out in outputs}
    assert len(run_ids) == 4

    store = Store(fresh_postgres_url)
    runs = {info.id: info for info in store.list_runs()}
    assert set(runs) == run_ids
    # the four runs were all in progress at once
    assert max(i.created_at for i in runs.values()) < min(i.finished_at for i in runs.values())
    for info in runs.values():
        assert (info.status, info.transcripts, info.verdicts) == ("done", 20, {"ok": 20})
        transcripts = store.transcripts_of(info.id)
        plan = sorted((t.item.id, t.assignment.swapped) for t in transcripts)
        assert plan == sorted((i["id"], s) for i in items for s in (False, True))
        for t in transcripts:
            assert [turn.index for turn in t.turns] == [0, 1, 2, 3, 4]
            assert len(t.verdicts) == 1 and t.status == "done"
    assert len(list(store.iter_records())) == 80
    counts = {
        table: scalars(fresh_postgres_url, f"SELECT count(*) FROM {table}")[0]
        for table in ("runs", "transcripts", "turns", "verdicts", "schema_migrations")
    }
    assert counts == {
        "runs": 4,
        "transcripts": 80,
        "turns": 400,
        "verdicts": 80,
        "schema_migrations": len(MIGRATIONS),
    }


def test_two_processes_open_a_fresh_database_at_once(fresh_postgres_url, tmp_path):
    outputs = run_at_once(fresh_postgres_url, ["-", "-"], tmp_path)
    assert [out.split() for out in outputs] == [["0"], ["0"]]
    names = scalars(fresh_postgres_url, "SELECT name FROM schema_migrations ORDER BY name")
    assert names == [m.__name__ for m in MIGRATIONS]


def test_store_survives_its_connections_being_dropped(fresh_postgres_url):
    """A server restart or an idle timeout kills pooled connections; the next write reconnects."""
    store = Store(fresh_postgres_url)
    assert store.list_runs() == []
    with connect(sa.make_url(fresh_postgres_url), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    store.finish_run("nonexistent", "done")  # a write on a pooled connection
    assert store.list_runs() == []


def test_text_with_nul_characters_does_not_stop_a_run(fresh_postgres_url, tiny_dataset):
    """PostgreSQL text cannot hold U+0000 (SQLite can): a model that emits one must not fail
    the store's write, and so the run."""
    pg = Store(fresh_postgres_url)
    reply = "Answer: A\x00\nConfidence: 80"
    summary, _ = run(experiment(tiny_dataset), pg, judge_replies=[reply])
    assert summary.info.verdicts == {"ok": 3}
    record = next(pg.iter_records(summary.info.id))
    assert record.verdict.raw == record.turns[-1].content == "Answer: A\ufffd\nConfidence: 80"
