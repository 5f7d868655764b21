"""Creating, changing and closing a study: check the spec against the store, build its tasks and
the k open slots of each, write them in one transaction."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from pydantic import BaseModel

from ..records import utcnow
from ..store import Store
from ..store import studies as db
from ..store.views import TranscriptView
from ..team import audit
from .spec import StudyError, StudySpec
from .tasks import approval_steps, judging_body


class StudyInfo(BaseModel):
    """A study as stored, with its slot counts."""

    id: str
    name: str
    kind: str
    status: str
    created_by: str | None
    spec: StudySpec
    tasks: int
    gold_tasks: int
    slots: int
    done: int


def _transcripts(store: Store, spec: StudySpec) -> list[TranscriptView]:
    """The transcripts a spec names, runs first, each once; a missing run or transcript is a
    `StudyError`."""
    found: dict[str, TranscriptView] = {}
    for run_id in spec.runs:
        if store.get_run(run_id) is None:
            raise StudyError(f"run {run_id!r} is not in the store {store!r}")
        for t in store.transcripts_of(run_id):
            if t.status == "done":
                found.setdefault(t.id, t)
    for transcript_id in spec.transcripts:
        one = store.get_transcript(transcript_id)
        if one is None:
            raise StudyError(f"transcript {transcript_id!r} is not in the store {store!r}")
        found.setdefault(one.id, one)
    return list(found.values())


def _task_rows(store: Store, spec: StudySpec, study_id: str) -> list[dict[str, Any]]:
    gold_ids = {g.transcript for g in spec.gold}
    rows: list[dict[str, Any]] = []

    def add(t: TranscriptView, gold: bool, answer: int | None) -> None:
        if spec.kind == "approval":
            steps = approval_steps(t)
            for body in steps:
                number = body["step"]["number"]
                rows.append(dict(
                    transcript_id=t.id, step=number, item_key=f"{t.id}/{number}", gold=gold,
                    answer=None, view=body,
                ))  # fmt: skip
            return
        rows.append(dict(
            transcript_id=t.id, step=None, item_key=f"{t.run_id}/{t.item.id}", gold=gold,
            answer=answer, view=judging_body(t),
        ))  # fmt: skip

    golds = []
    for g in spec.gold:
        t = store.get_transcript(g.transcript)
        if t is None:
            raise StudyError(f"gold task: transcript {g.transcript!r} is not in the store")
        golds.append((g, t))
    # a gold item is an attention check for everyone: its other positions are not tasks
    gold_items = {(t.run_id, t.item.id) for _, t in golds}
    for t in _transcripts(store, spec):
        if t.id not in gold_ids and (
            spec.kind == "approval" or (t.run_id, t.item.id) not in gold_items
        ):
            add(t, False, t.item.correct)
    for g, t in golds:
        answer = g.answer if g.answer is not None else t.item.correct
        if answer is None and spec.kind == "judging":
            raise StudyError(f"gold task {g.transcript!r} has no answer: give answer = N")
        if answer is not None and answer >= len(t.item.answers):
            raise StudyError(
                f"gold task {g.transcript!r}: answer {answer} is not one of its "
                f"{len(t.item.answers)} answers"
            )
        add(t, True, answer)
    if not rows:
        what = "approval steps" if spec.kind == "approval" else "finished transcripts"
        raise StudyError(f"study {spec.name!r}: its runs and transcripts hold no {what}")
    for position, row in enumerate(rows):
        row.update(study_id=study_id, id=f"t{position + 1:04d}", position=position, k=spec.k)
    return rows


def check(spec: StudySpec, eligible: list[str] | None = None) -> None:
    """Checks that need no store: k against the people who may take the study."""
    people = spec.people or eligible
    if people is not None and spec.k > len(people):
        raise StudyError(
            f"study {spec.name!r}: k = {spec.k} judgments per task, but only {len(people)} "
            "people may take it (a person judges a task at most once)"
        )
    if spec.stepped and spec.kind == "approval":
        raise StudyError(f"study {spec.name!r}: stepped judging is for judging studies")


def create_study(
    store: Store, spec: StudySpec, *, by: str | None = None, eligible: list[str] | None = None
) -> str:
    """Create a study; return its id. ``eligible`` is who may sign in (the team's people), used
    to check k when the spec names nobody."""
    check(spec, eligible)
    study_id = uuid.uuid4().hex[:12]
    tasks = _task_rows(store, spec, study_id)
    slots = [
        dict(
            id=uuid.uuid4().hex, study_id=study_id, task_id=t["id"], slot=n,
            item_key=t["item_key"], person=None, state="open",
        )
        for t in tasks
        if not t["gold"]
        for n in range(1, spec.k + 1)
    ]  # fmt: skip
    db.insert_study(
        store,
        dict(
            id=study_id,
            name=spec.name,
            kind=spec.kind,
            status="open",
            spec=spec.model_dump(mode="json"),
            created_by=by,
            created_at=utcnow(),
        ),
        tasks,
        slots,
    )
    audit.record(
        store, by or audit.LOCAL_ACTOR, "study.create", study_id,
        {"name": spec.name, "kind": spec.kind, "tasks": len(tasks), "k": spec.k},
    )  # fmt: skip
    return study_id


def get_study(store: Store, study_id: str) -> StudyInfo:
    row = db.get_study(store, study_id)
    if row is None:
        raise StudyError(f"study {study_id!r} is not in the store")
    tasks = db.tasks_of(store, study_id)
    slots = db.slots_of(store, study_id)
    return StudyInfo(
        id=row["id"], name=row["name"], kind=row["kind"], status=row["status"],
        created_by=row["created_by"], spec=StudySpec.model_validate(row["spec"]),
        tasks=len(tasks), gold_tasks=sum(bool(t["gold"]) for t in tasks),
        slots=sum(s["slot"] is not None for s in slots),
        done=sum(s["state"] == "done" and s["slot"] is not None for s in slots),
    )  # fmt: skip


def list_studies(store: Store) -> list[StudyInfo]:
    return [get_study(store, row["id"]) for row in db.list_studies(store)]


def close_study(store: Store, study_id: str, *, by: str | None = None) -> None:
    """Close a study: nobody gets a new task; what was submitted stays."""
    get_study(store, study_id)
    db.set_status(store, study_id, "closed")
    audit.record(store, by or audit.LOCAL_ACTOR, "study.close", study_id)


def order_key(seed: int, person: str, task_id: str) -> str:
    """Each person's order of tasks: a hash of the study's seed, the person and the task."""
    return hashlib.sha256(f"{seed}\x00{person}\x00{task_id}".encode()).hexdigest()
