"""Inspect eval logs of multiple-choice evals as judge verdicts (``playground import x.eval``):
each sample, per epoch, becomes a transcript of the eval's model answering the question, with
one ``judge`` verdict, so Inspect results are analysed beside playground runs.

A sample must have ``choices`` and one target letter. Its verdict: the chosen letter (the
score's ``answer``, as Inspect's ``choice()`` scorer writes it, letters in ``sample.choices``
order) is the choice, status ``ok``; no letter or several is ``unparseable``; a sample error is
``error``. ``is_correct`` is recomputed as choice = target, and the Inspect score value is kept
in the verdict's ``metrics``. When the solver shuffled the choices, the order the model saw is
read back from the scorer's explanation into ``display_order``. Each assistant message is a
turn (the last one is the verdict's); the run is ``inspect-<eval_id>``, protocol ``inspect``,
tagged ``imported`` and ``inspect``.

inspect_ai is a heavy import: only ``playground import`` of an Inspect log loads this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..records import (
    Assignment,
    Origin,
    Provenance,
    Record,
    RoleProvenance,
    RunOrigin,
    TranscriptOrigin,
    Turn,
    Verdict,
    score,
)
from . import ImportFileError
from .extras import is_missing, missing_inspect

try:
    from inspect_ai.log import EvalLog, EvalSample, read_eval_log
    from inspect_ai.scorer import Score
except ModuleNotFoundError as exc:  # the [inspect] extra
    if not is_missing("inspect_ai", exc):
        raise
    raise missing_inspect("reading Inspect eval logs") from None

PROTOCOL = "inspect"
ROLE = "judge"
_SHUFFLED = "Choices were shuffled before generating a response"
_RUN_STATUS = {
    "success": "done",
    "cancelled": "interrupted",
    "error": "failed",
    "started": "running",
}


def read_inspect(path: str | Path) -> Iterator[Record]:
    """Records from one Inspect log; a sample that is not single-answer multiple choice is
    refused with one line naming the file and sample."""
    path = Path(path)
    try:
        log = read_eval_log(str(path))
    except Exception as exc:  # inspect_ai raises many kinds for a file that is not a log
        raise ImportFileError(f"{path.name}: not an Inspect eval log ({one_line(exc)})") from None
    if not log.samples:
        raise ImportFileError(
            f"{path.name}: the log has no samples (written with log_samples off?)"
        )
    for sample in log.samples:
        yield _record(log, sample, path.name)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _letter_index(text: str) -> int | None:
    text = text.strip()
    if len(text) == 1 and text.isalpha():
        return ord(text.upper()) - ord("A")
    return None


def _score(sample: EvalSample) -> tuple[str, Score] | None:
    scores = sample.scores or {}
    if "choice" in scores:
        return "choice", scores["choice"]
    return next(iter(scores.items()), None)


def _target(sample: EvalSample, where: str, n: int) -> int:
    targets = [sample.target] if isinstance(sample.target, str) else list(sample.target)
    letters = [t for value in targets for t in value.replace(",", " ").split()]
    if len(letters) != 1:
        raise ImportFileError(f"{where}: target {sample.target!r} is not one answer letter")
    index = _letter_index(letters[0])
    if index is None or index >= n:
        raise ImportFileError(f"{where}: target {letters[0]!r} is not a letter of its {n} choices")
    return index


def _shown(explanation: str | None, choices: list[str]) -> list[int]:
    """The order the model saw, from a shuffled ``choice()`` explanation; else item order."""
    order = list(range(len(choices)))
    if not explanation or not explanation.startswith(_SHUFFLED):
        return order
    listed = re.findall(r"^([A-Z])\) (.*)$", explanation, re.M)
    shown = [choices.index(text) for _, text in listed if text in choices]
    return shown if sorted(shown) == order else order


def _stamp(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    stamp = datetime.fromisoformat(text)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _record(log: EvalLog, sample: EvalSample, name: str) -> Record:
    spec = log.eval
    where = f"{name} sample {sample.id!r} epoch {sample.epoch}"
    if not sample.choices:
        raise ImportFileError(f"{where}: no choices (only multiple-choice evals import)")
    choices = [str(c) for c in sample.choices]
    correct = _target(sample, where, len(choices))
    question = sample.input if isinstance(sample.input, str) else _text(sample.input[-1].content)
    created = _stamp(spec.created, datetime.now(UTC))
    finished = _stamp(sample.completed_at, created)
    model = spec.model
    config = spec.model_generate_config.model_dump(exclude_none=True)
    replies = [m for m in sample.messages if m.role == "assistant"]
    # Inspect counts tokens per sample, not per message: they go on the one reply if one
    usage = list(sample.model_usage.values()) if len(replies) == 1 else []
    turns: list[Turn] = []
    for message in replies:
        turns.append(
            Turn(
                index=len(turns),
                role=ROLE,
                model=model,
                resolved_model=getattr(message, "model", None) or sample.output.model or None,
                content=_text(message.content),
                params=config,
                input_tokens=sum(u.input_tokens for u in usage) if usage else None,
                output_tokens=sum(u.output_tokens for u in usage) if usage else None,
                meta={"inspect_message_id": message.id} if message.id else {},
                created_at=finished,
            )
        )
    found = _score(sample)
    if sample.error is not None:
        reason = " ".join(sample.error.message.split())[:500] or "the sample failed"
        verdict = Verdict(status="error", reason=reason, role=ROLE)
    elif found is None:
        verdict = Verdict(status="error", reason="the sample has no score", role=ROLE)
    else:
        scorer, s = found
        chosen = _letter_index(s.answer or "")
        raw = turns[-1].content if turns else (s.explanation or "")
        metrics: dict[str, Any] = {"inspect_scorer": scorer, "inspect_value": s.value}
        if chosen is not None and chosen < len(choices):
            verdict = Verdict(status="ok", choice=chosen, raw=raw, role=ROLE, metrics=metrics)
        else:
            why = f"the score's answer {s.answer!r} is not one letter of the choices"
            verdict = Verdict(status="unparseable", raw=raw, reason=why, role=ROLE, metrics=metrics)
        if turns:
            verdict = verdict.model_copy(update={"turn_index": turns[-1].index})
    explanation = found[1].explanation if found else None
    run_id = f"inspect-{spec.eval_id}"
    transcript_id = f"{run_id}/{sample.id}/{sample.epoch}"
    provenance = Provenance(
        roles={ROLE: RoleProvenance(model=model, base_url=spec.model_base_url, params=config)},
        options={
            "task": spec.task,
            "task_args": spec.task_args,
            "solver": spec.solver,
            "epoch": sample.epoch,
            "log": name,
        },
        dataset=spec.dataset.location or spec.dataset.name,
        playground_version=__version__,
        packages=dict(spec.packages),
        created_at=created,
    )
    run = RunOrigin(
        name=f"{spec.task} · {model}",
        status=_RUN_STATUS.get(log.status, "done"),
        source="import",
        tags=["imported", "inspect", *(spec.tags or [])],
        dataset=provenance.dataset,
        config={
            "provenance": provenance.model_dump(mode="json"),
            "inspect": {
                "eval_id": spec.eval_id,
                "run_id": spec.run_id,
                "task": spec.task,
                "log": name,
            },
        },
        playground_version=__version__,
        created_at=created,
        finished_at=_stamp(log.stats.completed_at or None, created),
    )
    transcript = TranscriptOrigin(
        status="error" if verdict.status == "error" else "done",
        error=verdict.reason if verdict.status == "error" else None,
        item_meta={"inspect_metadata": sample.metadata} if sample.metadata else {},
        created_at=_stamp(sample.started_at, created),
        finished_at=finished,
    )
    return Record(
        run_id=run_id,
        transcript_id=transcript_id,
        verdict_id=f"{transcript_id}/{ROLE}",
        item_id=str(sample.id),
        protocol=PROTOCOL,
        question=question,
        answers=choices,
        correct=correct,
        assignment=Assignment(seats={}, display_order=_shown(explanation, choices)),
        turns=turns,
        verdict=verdict,
        is_correct=score(verdict, correct),
        provenance=provenance,
        origin=Origin(run=run, transcript=transcript, verdict_created_at=finished),
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(getattr(part, "text", "") for part in content if getattr(part, "text", None))
