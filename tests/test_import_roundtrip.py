"""Export → import into a fresh store → export gives the same JSONL, byte for byte; the rows
behind it (runs, transcripts, turns, verdicts) come back whole."""

import json

import numpy as np
import pytest
from analysis_fixtures import record
from click.testing import CliRunner
from test_debate import debater, experiment, run

from playground.cli import cli
from playground.export import ImportFileError, export_jsonl, read_jsonl
from playground.providers import ProviderError
from playground.store import Store
from playground.store.importer import BadRecord, ImportConflict, import_records
from playground.store.tags import set_run_tags


def flaky(messages, config):
    if any("How many boats" in m.content for m in messages):
        raise ProviderError("refused")
    return debater(messages, config)


@pytest.fixture
def logged(store, tiny_dataset):
    """Two runs: one with a failed debater, then swapped positions with an unparseable judge
    (in this order: the response cache would otherwise replay the debater that fails)."""
    first, _ = run(experiment(tiny_dataset), store, debaters=flaky)
    second, _ = run(experiment(tiny_dataset, swap_positions=True), store,
                    judge_replies=["Answer: A\nConfidence: 80", "no idea"])  # fmt: skip
    set_run_tags(store, first.info.id, ["baseline", "swap"])
    return store, [first.info.id, second.info.id]


def rows(store):
    out = {}
    with store.engine.connect() as conn:
        for table in (store.runs, store.transcripts, store.turns, store.verdicts):
            key = [c for c in table.primary_key.columns]
            out[table.name] = [
                dict(r) for r in conn.execute(table.select().order_by(*key)).mappings()
            ]
    return out


def test_round_trip_is_lossless(logged, tmp_path):
    store, run_ids = logged
    first = tmp_path / "first.jsonl"
    assert export_jsonl(store, first) == 9
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    summary = import_records(fresh, read_jsonl(first))
    assert summary.runs == run_ids and summary.verdicts == 9 and summary.transcripts == 9
    second = tmp_path / "second.jsonl"
    export_jsonl(fresh, second)
    assert second.read_bytes() == first.read_bytes()
    assert rows(fresh) == rows(store)  # every stored column, timestamps included
    statuses = {r.verdict.status for r in read_jsonl(second)}
    assert statuses == {"ok", "unparseable", "error"}


def test_cli_import_then_refuses_the_same_runs_again(logged, tmp_path):
    store, run_ids = logged
    out = tmp_path / "all.jsonl"
    result = CliRunner().invoke(cli, ["--db", str(store.url.database), "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "target.db"
    result = CliRunner().invoke(cli, ["--db", str(target), "import", str(out)])
    assert result.exit_code == 0, result.output
    turns = len(rows(store)["turns"])
    assert result.stdout.splitlines() == [
        f"imported 2 run(s): 9 transcripts, {turns} turns, 9 verdicts", *run_ids,
    ]  # fmt: skip
    again = CliRunner().invoke(cli, ["--db", str(target), "import", str(out)])
    assert again.exit_code == 2
    assert f"run '{run_ids[0]}' is already in" in again.output
    assert len(list(Store(str(target)).iter_records())) == 9  # nothing written twice
    info = Store(str(target)).get_run(run_ids[0])
    assert info.tags == ["baseline", "swap"] and info.source == "library"


def test_records_from_elsewhere_import_with_defaults(store, tmp_path):
    records = [record("ext", "q1", choice=0), record("ext", "q2", choice=None, status="error")]
    import_records(store, records)
    info = store.get_run("ext")
    assert [info.name, info.status, info.source] == ["ext", "done", "import"]
    assert info.tags == ["imported"]
    back = {r.item_id: r for r in store.iter_records("ext")}
    for original in records:
        copy = back[original.item_id]
        assert copy.model_dump(exclude={"origin"}) == original.model_dump(exclude={"origin"})
    assert back["q2"].origin.transcript.status == "error"


def test_conflict_writes_nothing(store):
    import_records(store, [record("dup", "q1", choice=0)])
    with pytest.raises(ImportConflict, match="run 'dup' is already in"):
        import_records(store, [record("dup", "q2", choice=0), record("new", "q1", choice=0)])
    assert store.get_run("new") is None


def test_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = record("r", "q", choice=0).model_dump_json()
    path.write_text(good + "\n\n" + json.dumps({"run_id": "x"}) + "\n")
    with pytest.raises(ImportFileError, match=r"bad.jsonl line 3: transcript_id: Field required"):
        list(read_jsonl(path))


def test_round_trip_through_postgresql_and_the_same_frames(logged, tmp_path, fresh_postgres_url):
    from playground.analysis import load_frames

    store, _ = logged
    first = tmp_path / "first.jsonl"
    export_jsonl(store, first)
    pg = Store(fresh_postgres_url)
    import_records(pg, read_jsonl(first))
    second = tmp_path / "second.jsonl"
    export_jsonl(pg, second)
    assert second.read_bytes() == first.read_bytes()
    here, there = load_frames(store), load_frames(pg)
    columns = [c for c in here.verdicts.columns if c != "run_created_at"]
    a = here.verdicts[columns].astype(str).reset_index(drop=True)
    b = there.verdicts[columns].astype(str).reset_index(drop=True)
    assert a.equals(b)
    assert (here.runs["created_at"] == there.runs["created_at"]).all()
    by, sums = ["run_id", "role", "model"], ["turns", "input_tokens", "cost_usd", "latency_ms"]
    x, y = here.usage.groupby(by)[sums].sum(), there.usage.groupby(by)[sums].sum()
    assert x.index.equals(y.index)
    np.testing.assert_allclose(x.to_numpy(), y.to_numpy())  # sums may add in another order
    pg.engine.dispose()


def _line(**changes) -> str:
    data = json.loads(record("r", "q", choice=0).model_dump_json())
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b'{"run_id": "caf\xe9"}', r"line 2: not UTF-8 \(byte 0xe9 at column 16\)"),
        (_line(verdict__choice=5).encode(), r"line 2: verdict.choice: 5 is not an index into "
         r"the 2 answers \(0 to 1\)"),
        (_line(correct=-1).encode(), r"line 2: correct: -1 is not an index into the 2 answers"),
        (_line(assignment__display_order=[0, 7]).encode(), r"line 2: assignment.display_order: 7"),
        (_line(verdict__choice="first").encode(), r"line 2: verdict.choice: Input should be a "
         r"valid integer"),
        (b"[1, 2]", r"line 2: line: Input should be an object"),
    ],
)  # fmt: skip
def test_a_malformed_import_is_one_line_and_imports_nothing(store, tmp_path, bad, message):
    import_records(store, [record("before", "q0", choice=0)])  # already in the store
    path = tmp_path / "bad.jsonl"
    path.write_bytes(record("new", "q1", choice=0).model_dump_json().encode() + b"\n" + bad + b"\n")
    with pytest.raises(ImportFileError, match=message):
        list(read_jsonl(path))
    result = CliRunner().invoke(cli, ["--db", str(store.url.database), "import", str(path)])
    assert result.exit_code == 2
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error.endswith("(nothing was imported)") and "Traceback" not in result.output
    assert [r.id for r in store.list_runs()] == ["before"]  # kept; the good line not half-done


def test_records_with_bad_indices_are_refused_by_the_library_too(store):
    good = record("r1", "q1", choice=0)
    with pytest.raises(BadRecord, match=r"verdict\.choice: 3 is not an index.*nothing was"):
        bad = record("r2", "q2", choice=0)
        bad.verdict.choice = 3
        import_records(store, [good, bad])
    with pytest.raises(BadRecord, match="appears twice"):
        import_records(store, [good, good])
    assert store.list_runs() == []
