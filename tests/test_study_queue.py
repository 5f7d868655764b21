"""The studies queue on SQLite: leases, exactly k judgments, no item twice, refreshes, expiry,
skips, gold tasks, blinding, stepped tasks, bad input; many threads and processes at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from study_fixtures import WORKER, debate_run, drain, study

from playground.store import studies as db
from playground.studies import (
    GoldTask,
    StudyError,
    StudySpec,
    close_study,
    create_study,
    get_study,
    next_task,
    progress,
    skip,
    submit,
)

TESTS = Path(__file__).parent


def test_each_task_gets_exactly_k_and_nobody_gets_both_positions(store, tiny_dataset):
    run_id = debate_run(store, tiny_dataset)
    sid = study(store, run_id, k=2)
    info = get_study(store, sid)
    assert (info.tasks, info.slots) == (6, 12)  # 3 items × 2 positions, k = 2
    people = ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]  # 3 items each: one position
    done = {p: drain(store, sid, p) for p in people}
    tasks = {t["id"]: t for t in db.tasks_of(store, sid)}
    for p, ids in done.items():
        items = [tasks[i]["item_key"] for i in ids]
        assert len(items) == len(set(items)), f"{p} got an item twice"
    assert Counter(i for ids in done.values() for i in ids) == {t: 2 for t in tasks}
    assert get_study(store, sid).done == 12
    verdicts = [v for t in store.transcripts_of(run_id) for v in t.verdicts]
    human = [v for _, v, _ in verdicts if v.role == "human_judge"]
    assert len(human) == 12
    assert {v.metrics["person"] for v in human} == set(people)
    assert all(v.metrics["study_id"] == sid and v.metrics["time_taken_s"] >= 0 for v in human)


def test_a_refresh_returns_the_same_task_and_resubmitting_records_nothing(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset), k=1)
    first = next_task(store, sid, "A@x.org")
    again = next_task(store, sid, "a@x.org ")
    assert again.assignment_id == first.assignment_id and again.lease_until >= first.lease_until
    vid = submit(store, first.assignment_id, "a@x.org", choice=0)
    assert submit(store, first.assignment_id, "a@x.org", choice=1) == vid
    assert get_study(store, sid).done == 1


def test_an_abandoned_lease_returns_to_the_pool(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset, swap=False), k=1)
    held = [next_task(store, sid, f"p{i}@x.org", lease_s=3) for i in range(3)]
    assert next_task(store, sid, "late@x.org") is None  # all three slots leased
    time.sleep(3.2)  # the leases end
    taken = next_task(store, sid, "late@x.org")
    assert taken is not None
    abandoned = next(h for h in held if h.task_id == taken.task_id)
    owner = next(f"p{i}@x.org" for i, h in enumerate(held) if h is abandoned)
    with pytest.raises(StudyError, match=r"went to someone else|not .*'s"):
        submit(store, abandoned.assignment_id, owner, choice=0)
    submit(store, taken.assignment_id, "late@x.org", choice=0)


def test_skip_frees_the_task_for_others_but_not_for_the_skipper(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset, swap=False), k=1)
    view = next_task(store, sid, "a@x.org")
    with pytest.raises(StudyError, match="reason"):
        skip(store, view.assignment_id, "a@x.org", " ")
    skip(store, view.assignment_id, "a@x.org", "cannot read the question")
    assert view.task_id not in drain(store, sid, "a@x.org")
    assert view.task_id in drain(store, sid, "b@x.org")
    assert progress(store, sid, "a@x.org").skipped == 1


def test_gold_tasks_go_to_everyone_once_and_are_scored_on_the_known_answer(store, tiny_dataset):
    run_id = debate_run(store, tiny_dataset)
    gold = store.transcripts_of(run_id)[0]
    sid = create_study(
        store,
        StudySpec(name="g", runs=[run_id], k=1, gold=[GoldTask(transcript=gold.id, answer=1)]),
    )
    a, b = drain(store, sid, "a@x.org", choice=1), drain(store, sid, "b@x.org", choice=1)
    gold_task = next(t for t in db.tasks_of(store, sid) if t["gold"])
    assert gold_task["id"] in a and gold_task["id"] in b
    assert len(db.tasks_of(store, sid)) == 5  # the gold item's other position is left out
    rows = [r for r in db.study_verdicts(store, sid) if r["gold"]]
    assert [r["is_correct"] for r in rows] == [True, True]
    # the gold item's other position is not a task of its own for a gold-holder
    keys = {t["id"]: t["item_key"] for t in db.tasks_of(store, sid)}
    assert len([keys[i] for i in a]) == len({keys[i] for i in a})


def test_blinding_hides_passage_answer_models_and_others_by_default(store, tiny_dataset):
    run_id = debate_run(store, tiny_dataset)
    sid = study(store, run_id, k=2)
    view = next_task(store, sid, "a@x.org")
    assert view.passage is None and view.true_answer is None and view.other_verdicts == []
    assert view.speeches and all(s.model is None for s in view.speeches)
    assert all(not s.role.startswith("judge") for s in view.speeches)
    assert "gold" not in view.model_dump()
    submit(store, view.assignment_id, "a@x.org", choice=0)
    shown = study(
        store, run_id, k=2,
        blinding={"passage": "shown", "true_answer": "shown", "model_names": "shown",
                  "other_verdicts": "shown"},
    )  # fmt: skip
    first = next_task(store, shown, "a@x.org")
    submit(store, first.assignment_id, "a@x.org", choice=1)
    # b is offered tasks in its own order; find the one a judged
    while (v := next_task(store, shown, "b@x.org")).task_id != first.task_id:
        submit(store, v.assignment_id, "b@x.org", choice=0)
    task = db.get_task(store, shown, v.task_id)
    t = store.get_transcript(task["transcript_id"])
    assert v.true_answer == t.item.correct and v.passage == t.item.passage
    assert v.speeches[0].model == "scripted/test"
    assert [o.choice for o in v.other_verdicts] == [1]


def test_stepped_tasks_record_a_credence_after_each_speech(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset), k=1, stepped=True)
    view = next_task(store, sid, "a@x.org")
    n = len(view.answers)
    assert view.stepped and len(view.speeches) == 4  # two rounds, two debaters
    with pytest.raises(StudyError, match="4 interim credences"):
        submit(store, view.assignment_id, "a@x.org", choice=0, interim=[[1.0] + [0.0] * (n - 1)])
    steps = [[0.5, 0.5], [0.6, 0.4], [0.7, 0.3], [0.9, 0.1]] if n == 2 else None
    if steps is None:
        steps = [[1 / n] * n] * 4
    submit(store, view.assignment_id, "a@x.org", credences=steps[-1], interim=steps)
    row = db.study_verdicts(store, sid)[0]
    assert [s["credences"] for s in row["metrics"]["interim"]] == steps
    assert row["choice"] == max(range(n), key=lambda i: steps[-1][i])


def test_bad_input_is_one_line_naming_what_is_wrong(store, tiny_dataset):
    run_id = debate_run(store, tiny_dataset)
    with pytest.raises(StudyError, match="run 'nope' is not in the store"):
        create_study(store, StudySpec(name="x", runs=["nope"]))
    with pytest.raises(StudyError, match=r"k = 3 .* only 2 people"):
        create_study(store, StudySpec(name="x", runs=[run_id], k=3, people=["a@x", "b@x"]))
    with pytest.raises(StudyError, match=r"k = 2 .* only 1 people"):
        create_study(store, StudySpec(name="x", runs=[run_id], k=2), eligible=["a@x"])
    view = next_task(store, study(store, run_id, k=1), "a@x.org")
    with pytest.raises(StudyError, match=r"probabilities sum to 0.5"):
        submit(
            store,
            view.assignment_id,
            "a@x.org",
            credences=[0.25] * 2 + [0.0] * (len(view.answers) - 2),
        )
    with pytest.raises(StudyError, match=r"not b@x.org's"):
        submit(store, view.assignment_id, "b@x.org", choice=0)
    sid = study(store, run_id, k=1, people=["a@x.org"])
    with pytest.raises(StudyError, match=r"z@x.org is not among the people"):
        next_task(store, sid, "z@x.org")


def test_a_gold_task_without_an_answer_is_refused(store, tiny_dataset):
    run_id = debate_run(store, tiny_dataset, swap=False)
    t = store.transcripts_of(run_id)[0]
    # an item with no true answer (as a consistency run's open question has)
    item = {**t.item.model_dump(mode="json"), "correct": None}
    with store.engine.begin() as conn:
        conn.execute(
            store.transcripts.update().where(store.transcripts.c.id == t.id).values(item=item)
        )
    with pytest.raises(StudyError, match=f"gold task '{t.id}' has no answer: give answer = N"):
        create_study(store, StudySpec(name="x", runs=[run_id], gold=[{"transcript": t.id}]))
    with pytest.raises(StudyError, match="gold task: transcript 'gone' is not in the store"):
        create_study(store, StudySpec(name="x", runs=[run_id], gold=[{"transcript": "gone"}]))


def test_a_closed_study_gives_no_new_tasks_but_keeps_submissions(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset), k=1)
    view = next_task(store, sid, "a@x.org")
    close_study(store, sid)
    assert next_task(store, sid, "b@x.org") is None
    submit(store, view.assignment_id, "a@x.org", choice=0)
    assert get_study(store, sid).done == 1 and get_study(store, sid).status == "closed"


def test_many_threads_at_once_fill_each_slot_exactly_once(store, tiny_dataset):
    sid = study(store, debate_run(store, tiny_dataset), k=4)
    people = [f"p{i}@x.org" for i in range(8)]
    with ThreadPoolExecutor(len(people)) as pool:
        done = dict(zip(people, pool.map(lambda p: drain(store, sid, p), people), strict=True))
    assert sum(map(len, done.values())) == 24
    assert Counter(i for ids in done.values() for i in ids) == {f"t{n:04d}": 4 for n in range(1, 7)}
    assert len(db.study_verdicts(store, sid)) == 24


def run_processes(url: str, study_id: str, people: list[str], tmp_path: Path) -> dict[str, list]:
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    procs = {
        p: subprocess.Popen(
            [sys.executable, "-c", WORKER, url, study_id, p, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=TESTS,
        )
        for p in people
    }
    deadline = time.monotonic() + 120
    while not all(Path(f"{go}.{p}").exists() for p in people):
        assert time.monotonic() < deadline and all(pr.poll() is None for pr in procs.values()), [
            pr.stderr.read() for pr in procs.values() if pr.poll() is not None
        ]
        time.sleep(0.01)
    go.touch()
    out = {}
    for p, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        out[p] = json.loads(stdout.strip().splitlines()[-1])
    return out


def test_several_processes_at_once_fill_each_slot_exactly_once(store, tiny_dataset, tmp_path):
    # 3 items × 2 positions × k = 2: 12 slots, and 4 people can each judge one position of
    # each of the 3 items
    sid = study(store, debate_run(store, tiny_dataset), k=2)
    done = run_processes(str(store.url), sid, [f"p{i}@x.org" for i in range(4)], tmp_path)
    assert Counter(i for ids in done.values() for i in ids) == {f"t{n:04d}": 2 for n in range(1, 7)}
    assert len(db.study_verdicts(store, sid)) == 12
