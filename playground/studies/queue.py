"""A person's queue in a study: lease the next task, submit a verdict or rating, skip, progress.

Every call is a short transaction on the store (`playground.store.studies`), so any number of
processes may serve the same study at once; nothing is held in memory between calls."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from .. import __version__
from ..records import Provenance, RoleProvenance, Verdict, score, utcnow
from ..store import Store
from ..store import studies as db
from ..team import audit
from .create import order_key
from .spec import StudyError, StudySpec
from .tasks import OtherVerdict, TaskView, to_view

HUMAN_ROLE = db.STUDY_ROLE


class Progress(BaseModel):
    """Where a person and the study stand. ``done`` of ``total`` is the person's "12 of 40":
    total counts what they did, hold and could still get."""

    done: int = Field(description="Tasks this person submitted (gold tasks included).")
    skipped: int
    held: int = Field(description="Tasks leased to them and not yet submitted.")
    available: int = Field(description="Items they could still be given now.")
    total: int
    study_done: int = Field(description="Judgment slots filled by anyone (gold excluded).")
    study_slots: int


def _person(person: str) -> str:
    cleaned = person.strip().lower()
    if not cleaned:
        raise StudyError("a person is identified by a non-empty email")
    return cleaned


def _study(store: Store, study_id: str) -> tuple[dict[str, Any], StudySpec]:
    row = db.get_study(store, study_id)
    if row is None:
        raise StudyError(f"study {study_id!r} is not in the store")
    return row, StudySpec.model_validate(row["spec"])


def _view(
    store: Store, study_id: str, spec: StudySpec, slot: dict[str, Any], person: str
) -> TaskView:
    task = db.get_task(store, study_id, slot["task_id"])
    assert task is not None
    others: list[OtherVerdict] = []
    if spec.blinding.other_verdicts == "shown":
        others = [
            OtherVerdict(choice=v["choice"], credences=v["credences"])
            for v in db.study_verdicts(store, study_id)
            if v["task_id"] == task["id"] and v["person"] != person
        ]
    return to_view(
        task,
        study_id=study_id,
        assignment_id=slot["assignment_id"],
        lease_until=slot["lease_until"],
        blinding=spec.blinding,
        stepped=spec.stepped,
        time_limit_s=spec.time_limit_s,
        others=others,
    )


def next_task(
    store: Store, study_id: str, person: str, lease_s: float | None = None
) -> TaskView | None:
    """The task a person should do now, leased to them for ``lease_s`` seconds (default the
    study's ``lease_s``, at least its time limit). Asking again before submitting (a refresh)
    returns the same task with its lease renewed. None when nothing is left for them or the
    study is closed."""
    person = _person(person)
    row, spec = _study(store, study_id)
    if spec.people and person not in spec.people:
        raise StudyError(f"{person} is not among the people of study {study_id!r}")
    if row["status"] != "open":
        return None
    lease = max(lease_s or spec.lease_s, spec.time_limit_s or 0.0)
    now = time.time()
    for held in db.held_by(store, study_id, person):
        if db.renew(store, held["assignment_id"], person, now, lease):
            held["lease_until"] = now + lease
            return _view(store, study_id, spec, held, person)
    for _attempt in range(3):
        found = db.candidates(store, study_id, person, now)
        if not found:
            return None
        found.sort(key=lambda c: order_key(spec.seed, person, c.task_id))
        for candidate in found:
            assignment_id = db.claim(store, study_id, candidate, person, now, lease)
            if assignment_id is not None:
                slot = db.slot_by_assignment(store, assignment_id)
                assert slot is not None
                return _view(store, study_id, spec, slot, person)
        now = time.time()
    return None


def _credences(values: list[float] | None, n: int, what: str) -> list[float] | None:
    if values is None:
        return None
    if len(values) != n or any(not (0.0 <= v <= 1.0) or math.isnan(v) for v in values):
        raise StudyError(f"{what}: give {n} probabilities, each between 0 and 1")
    if abs(sum(values) - 1.0) > 1e-6:
        raise StudyError(f"{what}: the probabilities sum to {sum(values):.3g}, not 1")
    return [float(v) for v in values]


def submit(
    store: Store,
    assignment_id: str,
    person: str,
    *,
    choice: int | None = None,
    credences: list[float] | None = None,
    rationale: str = "",
    interim: list[list[float]] | None = None,
    approval: float | None = None,
) -> str:
    """Record a person's verdict on their leased task as an ordinary `Verdict` (role
    ``human_judge``, the person in its provenance and metrics, with time taken, study, task and
    assignment ids) and return its id. A judging task wants ``choice`` and/or ``credences``
    (per answer, in the item's answer order), a stepped one also ``interim``: one credence list
    after each speech. An approval task wants ``approval`` in [0, 1] and a one-sentence
    ``rationale``. Submitting the same assignment again (a refresh) records nothing new and
    returns the first verdict's id."""
    person = _person(person)
    slot = db.slot_by_assignment(store, assignment_id)
    if slot is None:
        raise StudyError(
            f"assignment {assignment_id!r} is held by nobody: its lease ended and the task "
            "went to someone else (or it never existed)"
        )
    if slot["person"] != person:
        raise StudyError(f"assignment {assignment_id!r} is not {person}'s (its lease ended)")
    if slot["state"] == "done":
        return str(slot["verdict_id"])
    row, spec = _study(store, slot["study_id"])
    task = db.get_task(store, slot["study_id"], slot["task_id"])
    assert task is not None
    now = time.time()
    taken = round(now - float(slot["leased_at"]), 3)
    study_meta = {
        "study_id": row["id"], "task_id": task["id"], "assignment_id": assignment_id,
        "person": person, "time_taken_s": taken, "gold": bool(task["gold"]),
        "over_time": spec.time_limit_s is not None and taken > spec.time_limit_s,
    }  # fmt: skip
    body = task["view"]
    if "step" in body:
        if approval is None or not (0.0 <= approval <= 1.0) or math.isnan(approval):
            raise StudyError("an approval task wants an approval between 0 and 1")
        if not rationale.strip():
            raise StudyError("an approval task wants a one-sentence rationale")
        metrics = {**body["metrics"], "source": "human", "approval": float(approval),
                   "rationale": rationale.strip(), "cost_usd": None, **study_meta}  # fmt: skip
        verdict = Verdict(status="ok", raw=rationale, role=HUMAN_ROLE, metrics=metrics)
        correct = None
    else:
        n = len(body["answers"])
        credences = _credences(credences, n, "credences")
        if choice is None and credences is not None:
            choice = max(range(n), key=lambda i: credences[i])
        if choice is None or not (0 <= choice < n):
            raise StudyError(f"a judging task wants a choice among its {n} answers")
        if spec.stepped:
            speeches = len(body["speeches"])
            if interim is None or len(interim) != speeches:
                raise StudyError(f"a stepped task wants {speeches} interim credences, one a speech")
            steps = [_credences(c, n, f"interim credence {i + 1}") for i, c in enumerate(interim)]
            study_meta["interim"] = [{"after_speech": i + 1, "credences": c}
                                     for i, c in enumerate(steps)]  # fmt: skip
        verdict = Verdict(
            status="ok", choice=choice, credences=credences, raw=rationale, role=HUMAN_ROLE,
            metrics={"kind": "study", **study_meta},
        )  # fmt: skip
        correct = score(verdict, task["answer"])
    run_id = _run_of(store, task["transcript_id"])
    provenance = Provenance(
        roles={HUMAN_ROLE: RoleProvenance(model="human", params={"person": person})},
        options={
            "study_id": row["id"],
            "task_id": task["id"],
            "blinding": spec.blinding.model_dump(),
            "stepped": spec.stepped,
        },
        seed=spec.seed,
        playground_version=__version__,
    )
    verdict_id = uuid.uuid4().hex
    outcome = db.complete(
        store, assignment_id, person, now,
        dict(
            id=verdict_id, transcript_id=task["transcript_id"], run_id=run_id, role=HUMAN_ROLE,
            status="ok", choice=verdict.choice, credences=verdict.credences, raw=verdict.raw,
            reason=None, turn_index=None, metrics=verdict.metrics, is_correct=correct,
            provenance=provenance.model_dump(mode="json"), created_at=utcnow(),
        ),
    )  # fmt: skip
    if outcome == "lost":
        raise StudyError(
            f"assignment {assignment_id!r}: its lease ended and the task went to someone else"
        )
    if outcome == "already":
        again = db.slot_by_assignment(store, assignment_id)
        return str(again["verdict_id"]) if again else verdict_id
    audit.record(
        store, person, "task.judge", f"{row['id']}/{task['id']}",
        {"verdict_id": verdict_id, "seconds": taken},
    )  # fmt: skip
    return verdict_id


def _run_of(store: Store, transcript_id: str) -> str:
    with store.engine.connect() as conn:
        run_id = conn.scalar(
            sa.select(store.transcripts.c.run_id).where(store.transcripts.c.id == transcript_id)
        )
    if run_id is None:
        raise StudyError(f"transcript {transcript_id!r} is no longer in the store")
    return str(run_id)


def skip(store: Store, assignment_id: str, person: str, reason: str) -> None:
    """Give a leased task back with a reason; the person is not offered it again."""
    person = _person(person)
    if not reason.strip():
        raise StudyError("skipping a task wants a reason")
    slot = db.slot_by_assignment(store, assignment_id)
    if slot is None or slot["person"] != person or slot["state"] != "leased":
        raise StudyError(f"assignment {assignment_id!r} is not a task {person} holds")
    if db.release(store, slot["study_id"], assignment_id, person, reason.strip()):
        audit.record(
            store, person, "task.skip", f"{slot['study_id']}/{slot['task_id']}",
            {"reason": reason.strip()},
        )  # fmt: skip


def progress(store: Store, study_id: str, person: str) -> Progress:
    """How far a person is in a study, and the study overall."""
    person = _person(person)
    _study(store, study_id)
    slots = db.slots_of(store, study_id)
    mine = [s for s in slots if s["person"] == person]
    done = sum(s["state"] == "done" for s in mine)
    held = sum(s["state"] == "leased" for s in mine)
    skipped = sum(s["person"] == person for s in db.skips_of(store, study_id))
    available = len({c.item_key for c in db.candidates(store, study_id, person, time.time())})
    counted = [s for s in slots if s["slot"] is not None]
    return Progress(
        done=done, skipped=skipped, held=held, available=available,
        total=done + held + available,
        study_done=sum(s["state"] == "done" for s in counted), study_slots=len(counted),
    )  # fmt: skip
