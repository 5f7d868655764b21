"""The studies queue on a real PostgreSQL server (tests/pg.py): many threads and processes at
once get distinct slots and fill each exactly k times; expired leases return to the pool."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from study_fixtures import debate_run, drain, study
from test_study_queue import run_processes

from playground.store import Store
from playground.store import studies as db
from playground.studies import next_task, submit


def test_threads_and_processes_fill_each_slot_exactly_k_times(
    fresh_postgres_url, tiny_dataset, tmp_path
):
    store = Store(fresh_postgres_url)
    run_id = debate_run(store, tiny_dataset)
    sid = study(store, run_id, k=4)
    people = [f"p{i}@x.org" for i in range(8)]
    with ThreadPoolExecutor(len(people)) as pool:
        done = dict(zip(people, pool.map(lambda p: drain(store, sid, p), people), strict=True))
    assert Counter(i for ids in done.values() for i in ids) == {f"t{n:04d}": 4 for n in range(1, 7)}
    sid = study(store, run_id, k=2)
    done = run_processes(fresh_postgres_url, sid, [f"q{i}@x.org" for i in range(4)], tmp_path)
    assert Counter(i for ids in done.values() for i in ids) == {f"t{n:04d}": 2 for n in range(1, 7)}
    assert len(db.study_verdicts(store, sid)) == 12


def test_an_expired_lease_is_taken_over_on_postgres(fresh_postgres_url, tiny_dataset):
    store = Store(fresh_postgres_url)
    sid = study(store, debate_run(store, tiny_dataset, swap=False), k=1)
    held = [next_task(store, sid, f"p{i}@x.org", lease_s=3) for i in range(3)]
    assert next_task(store, sid, "late@x.org") is None
    time.sleep(3.2)  # the leases end
    view = next_task(store, sid, "late@x.org")
    assert view.task_id in {h.task_id for h in held}
    submit(store, view.assignment_id, "late@x.org", choice=0)
    assert [r["person"] for r in db.study_verdicts(store, sid)] == ["late@x.org"]
