"""Human studies: many people judging logged transcripts or rating approval-lab steps, with
leased assignment, blinding, stepped judging and gold tasks. Streamlit-free; the Queue page and
the ``playground study`` CLI call it.

A study (`StudySpec`, from TOML with `load_spec` or built by a page) is created with
``create_study(store, spec, by=email)``; its tasks are the finished transcripts of its runs (a
judging study) or the steps of its approval episodes (an approval study), each wanting ``k``
judgments, plus gold tasks every person gets once. People are emails, lower-cased.

The queue API (what a page calls, each a short transaction; safe from many processes at once):

``next_task(store, study_id, person, lease_s=None) -> TaskView | None``
    Lease the person's next task (distinct slots for people asking at once; never both
    positions of an item, never an item twice; each person's order from the study's seed).
    Asking again before submitting returns the same task (a refresh loses nothing). None when
    nothing is left for them or the study is closed. A lease not submitted in time returns the
    slot to the pool. `StudyError` if the person may not take the study.
``submit(store, assignment_id, person, *, choice=None, credences=None, rationale="",
interim=None, approval=None) -> verdict id``
    Record an ordinary `Verdict` (role ``human_judge``; the person, time taken, study, task and
    assignment ids in its metrics and provenance; stepped tasks' credences after each speech in
    ``metrics.interim``) on the transcript's own run. Idempotent per assignment.
``skip(store, assignment_id, person, reason)``
    Give the task back with a reason; it is not offered to that person again.
``progress(store, study_id, person) -> Progress``
    The person's done/held/available ("12 of 40") and the study's filled slots.

`TaskView` is all a seat may see after blinding (`Blinding`: passage, true answer, model names,
other people's verdicts, each hidden by default); gold status is never shown.

Live tasks (a person sitting in a seat of a new run) are not study tasks: they use the
existing human seats (`playground.providers.human`, model ``"human"``) of a run started from a
page, which record a person's turns and verdicts like a model's.
"""

from .create import StudyInfo, close_study, create_study, get_study, list_studies
from .queue import HUMAN_ROLE, Progress, next_task, progress, skip, submit
from .spec import Blinding, GoldTask, StudyError, StudySpec, load_spec, parse_spec
from .tasks import ApprovalStep, OtherVerdict, ShownAnswer, Speech, TaskView

__all__ = [
    "HUMAN_ROLE",
    "ApprovalStep",
    "Blinding",
    "GoldTask",
    "OtherVerdict",
    "Progress",
    "ShownAnswer",
    "Speech",
    "StudyError",
    "StudyInfo",
    "StudySpec",
    "TaskView",
    "close_study",
    "create_study",
    "get_study",
    "list_studies",
    "load_spec",
    "next_task",
    "parse_spec",
    "progress",
    "skip",
    "submit",
]
