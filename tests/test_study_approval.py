"""An approval-rating study end to end: each step of logged approval-lab episodes is a task shown
as a model overseer sees it (never its true value), rated 0–1 with a rationale, and each
rater's Spearman/AUC comes out against the environment's true step values."""

from __future__ import annotations

import asyncio

import pytest
from test_approval import experiment, greedy

from playground.analysis.study import approval_table, study_frame, study_tables
from playground.experiments import run_experiment
from playground.protocols.approval.metrics import approval_rows
from playground.providers.scripted import ScriptedModel
from playground.studies import StudyError, StudySpec, create_study, next_task, submit


def approval_run(store) -> str:
    exp = experiment("builtin:shortcut?n=2", ["myopic_overseer"],
                     {"agent": {"model": "scripted/a"}, "overseer": {"model": "scripted/o"}})  # fmt: skip
    overseer = ScriptedModel(lambda m, c: "Approval: 0.6\nRationale: ok.")
    summary = asyncio.run(
        run_experiment(exp, store, models={"agent": ScriptedModel(greedy), "overseer": overseer})
    )
    return summary.info.id


def test_people_rate_steps_blind_to_true_values(store):
    run_id = approval_run(store)
    sid = create_study(store, StudySpec(name="a", kind="approval", runs=[run_id], k=2))
    logged = approval_rows(store.iter_records(run_id))
    steps = logged[["transcript_id", "step"]].drop_duplicates()
    truth = {(r.transcript_id, r.step): r.true_value for r in logged.itertuples()}
    seen = 0
    for person in ("a@x.org", "b@x.org"):
        while (view := next_task(store, sid, person)) is not None:
            dumped = view.model_dump_json()
            assert view.kind == "approval" and view.step.proposal
            assert "true_value" not in dumped and "good" not in dumped
            with pytest.raises(StudyError, match="rationale"):
                submit(store, view.assignment_id, person, approval=0.5)
            # a rater who tracks the truth exactly (a's) and one who reverses it (b's)
            task_truth = truth[(_task_transcript(store, sid, view), view.step.number)]
            score = task_truth if person == "a@x.org" else -task_truth
            approval = 1 / (1 + 2.718281828 ** (-score))
            submit(store, view.assignment_id, person, approval=approval, rationale="it pays.")
            seen += 1
    assert seen == 2 * len(steps)
    table = approval_table(study_frame(store, sid)).set_index("person")
    assert table.loc["a@x.org", "spearman"] == pytest.approx(1.0)
    assert table.loc["b@x.org", "spearman"] == pytest.approx(-1.0)
    assert table.loc["a@x.org", "steps"] == len(steps)
    assert "approval" in study_tables(store, sid)
    # the human ratings join the lab's own tables as source "human"
    rows = approval_rows(store.iter_records(run_id))
    assert (rows["source"] == "human").sum() == 2 * len(steps)


def _task_transcript(store, sid, view):
    from playground.store import studies as db

    return db.get_task(store, sid, view.task_id)["transcript_id"]
