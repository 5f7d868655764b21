"""Tasks of a study built from logged transcripts, and the `TaskView` a person is shown: the
stored task body with the study's blinding applied."""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, Field

from ..store.views import TranscriptView
from .spec import Blinding

LABELS = string.ascii_uppercase


class ShownAnswer(BaseModel):
    """One answer as shown: its label in display order and its index in the item's answers
    (the index a verdict's choice and credences use)."""

    label: str
    index: int
    text: str


class Speech(BaseModel):
    """One speech of the transcript, in order."""

    role: str = Field(description="The seat that spoke, e.g. debater_a, consultant.")
    round: int | None = None
    text: str
    model: str | None = Field(None, description="Null unless the study shows model names.")


class OtherVerdict(BaseModel):
    """Another person's verdict on the same task (only when the study shows them)."""

    choice: int | None
    credences: list[float] | None


class ApprovalStep(BaseModel):
    """What a model overseer sees of one step of an approval-lab episode, and nothing after."""

    environment: str
    number: int
    name: str
    observation: str
    instruction: str
    proposal: str


class TaskView(BaseModel):
    """What one person may see of one task after blinding. Whether it is a gold task is never
    shown, nor anything blinding hides."""

    study_id: str
    task_id: str
    assignment_id: str = Field(description="Pass back to `submit` / `skip`.")
    kind: str = Field(description="judging or approval")
    question: str = ""
    answers: list[ShownAnswer] = Field(default_factory=list)
    speeches: list[Speech] = Field(default_factory=list)
    stepped: bool = Field(
        False, description="Show speeches one at a time; `submit` then wants a credence each."
    )
    passage: str | None = None
    true_answer: int | None = None
    other_verdicts: list[OtherVerdict] = Field(default_factory=list)
    step: ApprovalStep | None = None
    time_limit_s: float | None = None
    lease_until: float = Field(description="Unix time the lease on this task ends.")


def judging_body(t: TranscriptView) -> dict[str, Any]:
    """The stored body of a judging task: the item and the speeches (judge calls left out)."""
    verdict_turns = {v.turn_index for _, v, _ in t.verdicts if v.turn_index is not None}
    speeches = [
        {"role": turn.role, "round": turn.round, "text": turn.content, "model": turn.model}
        for turn in t.turns
        if turn.index not in verdict_turns
        and not turn.role.startswith("judge")
        and turn.error is None
    ]
    order = t.assignment.display_order or list(range(len(t.item.answers)))
    return {
        "question": t.item.question,
        "answers": [t.item.answers[i] for i in range(len(t.item.answers))],
        "order": order,
        "speeches": speeches,
        "passage": t.item.passage,
    }


def approval_steps(t: TranscriptView) -> list[dict[str, Any]]:
    """The stored bodies of an approval episode's steps, from its logged approval verdicts (one
    per step; the step's true value is kept apart from what is shown)."""
    steps: dict[int, dict[str, Any]] = {}
    for _, verdict, _ in t.verdicts:
        m = verdict.metrics or {}
        if m.get("kind") != "approval" or m.get("step") in steps:
            continue
        steps[int(m["step"])] = {
            "step": {
                "environment": str(m.get("environment", "")),
                "number": int(m["step"]),
                "name": str(m.get("step_name", "")),
                "observation": str(m.get("state", "")),
                "instruction": str(m.get("instruction", "")),
                "proposal": str(m.get("proposal", "")),
            },
            "truth": {k: m.get(k) for k in ("true_value", "good", "valid", "outcome")},
            "metrics": m,
        }
    return [steps[n] for n in sorted(steps)]


def to_view(
    task: dict[str, Any],
    *,
    study_id: str,
    assignment_id: str,
    lease_until: float,
    blinding: Blinding,
    stepped: bool,
    time_limit_s: float | None,
    others: list[OtherVerdict],
) -> TaskView:
    """Apply the study's blinding to a stored task."""
    body = task["view"]
    common: dict[str, Any] = dict(
        study_id=study_id,
        task_id=task["id"],
        assignment_id=assignment_id,
        lease_until=lease_until,
        time_limit_s=time_limit_s,
        other_verdicts=others if blinding.other_verdicts == "shown" else [],
    )
    if "step" in body:
        return TaskView(kind="approval", step=ApprovalStep(**body["step"]), **common)
    show_models = blinding.model_names == "shown"
    return TaskView(
        kind="judging",
        question=body["question"],
        answers=[
            ShownAnswer(label=LABELS[n], index=i, text=body["answers"][i])
            for n, i in enumerate(body["order"])
        ],
        speeches=[
            Speech(
                role=s["role"],
                round=s["round"],
                text=s["text"],
                model=s["model"] if show_models else None,
            )
            for s in body["speeches"]
        ],
        stepped=stepped,
        passage=body["passage"] if blinding.passage == "shown" else None,
        true_answer=task["answer"] if blinding.true_answer == "shown" else None,
        **common,
    )
