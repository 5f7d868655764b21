"""Shared study test helpers: a logged debate run to build studies on, and a worker script that
drains a study's queue from its own process."""

from __future__ import annotations

from test_debate import experiment, run

from playground.store import Store
from playground.studies import StudySpec, create_study


def debate_run(store: Store, dataset, swap: bool = True) -> str:
    """A finished scripted debate over the dataset (positions swapped: two transcripts per
    item); returns its run id."""
    summary, _ = run(experiment(dataset, swap_positions=swap), store)
    return summary.info.id


def study(store: Store, run_id: str, **spec) -> str:
    return create_study(store, StudySpec(name="s", runs=[run_id], **spec), by="owner@x.org")


def drain(store: Store, study_id: str, person: str, choice: int = 0) -> list[str]:
    """Take and submit tasks until none is left; returns the task ids done, in order."""
    from playground.studies import next_task, submit

    done = []
    while (view := next_task(store, study_id, person)) is not None:
        n = len(view.answers)
        submit(
            store, view.assignment_id, person, choice=min(choice, n - 1),
            interim=[[1 / n] * n for _ in view.speeches] if view.stepped else None,
            rationale="because",
        )  # fmt: skip
        done.append(view.task_id)
    return done


# Run as a process: waits at a barrier file, then drains the study as one person.
WORKER = """
import sys, time, json
from pathlib import Path
from playground.store import Store
from study_fixtures import drain

url, study_id, person, go = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
store = Store(url)
Path(f"{go}.{person}").touch()
while not go.exists():
    time.sleep(0.001)
print(json.dumps(drain(store, study_id, person)))
"""
