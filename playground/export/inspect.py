"""Logged runs as Inspect eval logs (``playground export --format inspect``), built with
inspect_ai's own log types and written by its ``write_eval_log``, so ``inspect view`` shows them
and ``inspect_ai.log.read_eval_log`` reads them.

One log per run and seat configuration: a run's verdicts are grouped by the verdict's role (a
judge panel gives one log per judge) and by the models, parameters and prompts of every seat.
The log's ``model`` is the seat that gave the verdict, the other seats are ``model_roles``. A
sample is one transcript: ``input`` the question, ``choices`` the answers in item order,
``target`` the true answer's letter, ``messages`` the question then every turn (an assistant
message per call, its seat, round, tokens and meta in ``metadata``), ``output`` the verdict's
reply, ``scores["verdict"]`` the verdict (``C``/``I`` when it parsed and the item has a true
answer, else ``N``; ``answer`` the chosen letter; status, credences, reason and metrics in its
metadata). ``metadata`` holds the assignment, the provenance and the playground ids, so every
sample leads back to its run, transcript and verdict. Results count only parsed verdicts, as
everywhere in the playground.

inspect_ai is a heavy import: only ``playground export --format inspect`` loads this module.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal

from .. import __version__
from ..records import Record, RoleProvenance, Turn
from ..store import Store
from .extras import is_missing, missing_inspect
from .people import hide_people, renamer

try:
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalError,
        EvalLog,
        EvalMetric,
        EvalPlan,
        EvalPlanStep,
        EvalResults,
        EvalSample,
        EvalScore,
        EvalSpec,
        EvalStats,
        write_eval_log,
    )
    from inspect_ai.model import (
        ChatMessage,
        ChatMessageAssistant,
        ChatMessageUser,
        GenerateConfig,
        ModelConfig,
        ModelOutput,
        ModelUsage,
    )
    from inspect_ai.scorer import CORRECT, INCORRECT, NOANSWER, Score
except ModuleNotFoundError as exc:  # the [inspect] extra
    if not is_missing("inspect_ai", exc):
        raise
    raise missing_inspect("writing Inspect eval logs") from None

SCORER = "verdict"
STATUS: dict[str, Literal["started", "success", "cancelled", "error"]] = {
    "done": "success", "running": "started", "interrupted": "cancelled", "failed": "error",
    "budget": "cancelled",
}  # fmt: skip
"""A run's status → the log's (a run a budget stopped did not finish: ``cancelled``)."""


def letter(index: int | None) -> str:
    """``A`` for answer 0, as Inspect's multiple-choice solver labels them."""
    return "" if index is None else chr(ord("A") + index) if index < 26 else str(index + 1)


def export_inspect(
    store: Store,
    out_dir: str | Path,
    run_ids: Iterable[str | None] = (None,),
    verdict_ids: Collection[str] | None = None,
    with_emails: bool = False,
) -> list[Path]:
    """Write one ``.eval`` log per run and seat configuration into ``out_dir``; the paths.
    Study participants appear by rater id (`playground.export.people`) unless ``with_emails``."""
    wanted = set(verdict_ids) if verdict_ids is not None else None
    rename = renamer(store, with_emails)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for run_id in run_ids:
        records = [
            r
            for r in hide_people(store.iter_records(run_id), rename)
            if wanted is None or r.verdict_id in wanted
        ]
        for key, group in group_records(records).items():
            log = eval_log(group, key)
            # Inspect's own naming, which `inspect view` parses: <created>_<task>_<id>.eval
            stamp = log.eval.created[:19].replace(":", "-")
            task = re.sub(r"[^A-Za-z0-9]+", "-", log.eval.task)
            path = out / f"{stamp}_{task}_{log.eval.eval_id}.eval"
            write_eval_log(log, str(path))
            written.append(path)
    return written


def inspect_zip(
    store: Store, run_ids: Iterable[str | None], verdict_ids: Collection[str] | None = None
) -> bytes:
    """The logs `export_inspect` writes, as one zip archive (the Analysis page's download)."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w") as archive:
        for path in export_inspect(store, tmp, run_ids, verdict_ids):
            archive.write(path, path.name)
    return buffer.getvalue()


def seat_key(record: Record) -> str:
    """A short hash of what configured every seat (models, parameters, prompts)."""
    roles = {k: v.model_dump(mode="json") for k, v in sorted(record.provenance.roles.items())}
    data = json.dumps([record.verdict.role, roles], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:8]


def group_records(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records by run, verdict role and seat configuration, in the order met."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[f"{record.run_id}|{seat_key(record)}"].append(record)
    return {key.split("|")[1]: group for key, group in groups.items()}


def _config(role: RoleProvenance) -> GenerateConfig:
    known = {k: v for k, v in role.params.items() if k in GenerateConfig.model_fields}
    return GenerateConfig.model_validate(known)


def _verdict_model(record: Record) -> RoleProvenance | None:
    roles = record.provenance.roles
    own = next((t for t in record.turns if t.index == record.verdict.turn_index), None)
    if record.verdict.role in roles:
        return roles[record.verdict.role]
    if own is not None:
        seat = roles.get(own.role)
        return seat or RoleProvenance(model=own.model, resolved_model=own.resolved_model)
    return None


def eval_log(records: list[Record], key: str) -> EvalLog:
    first = records[0]
    origin = first.origin
    seat = _verdict_model(first)
    others = {
        name: ModelConfig(model=r.model, config=_config(r), base_url=r.base_url)
        for name, r in first.provenance.roles.items()
        if name != first.verdict.role
    }
    created = (origin.run.created_at if origin else first.provenance.created_at).isoformat()
    eval_id = re.sub(r"[^A-Za-z0-9]", "", f"{first.run_id}{key}")  # Inspect ids are plain
    samples = _samples(records)
    ok = [r for r in records if r.is_correct is not None]
    metrics = {
        "accuracy": EvalMetric(
            name="accuracy", value=sum(bool(r.is_correct) for r in ok) / len(ok) if ok else 0.0
        ),
        "parsed": EvalMetric(
            name="parsed", value=sum(r.verdict.status == "ok" for r in records) / len(records)
        ),
    }
    options = first.provenance.options
    meta = {
        "run_id": first.run_id,
        "run_name": origin.run.name if origin else first.run_id,
        "run_status": origin.run.status if origin else None,
        "tags": origin.run.tags if origin else [],
        "protocol": first.protocol,
        "verdict_role": first.verdict.role,
        "seat_configuration": key,
        "seed": first.provenance.seed,
        "playground_version": first.provenance.playground_version,
    }
    return EvalLog(
        version=2,
        status=STATUS.get(origin.run.status, "success") if origin else "success",
        error=EvalError(message="the run failed", traceback="", traceback_ansi="")
        if origin and origin.run.status == "failed"
        else None,
        eval=EvalSpec(
            eval_id=eval_id,
            run_id=first.run_id,
            created=created,
            task=f"playground/{first.protocol}",
            task_id=eval_id,
            task_version=0,
            task_args=options,
            solver=f"playground/{first.protocol}",
            solver_args=options,
            tags=origin.run.tags if origin else None,
            dataset=EvalDataset(
                name=first.provenance.dataset,
                location=first.provenance.dataset,
                samples=len(samples),
                sample_ids=[s.id for s in samples],
            ),
            model=seat.model if seat else "none/none",
            model_generate_config=_config(seat) if seat else GenerateConfig(),
            model_base_url=seat.base_url if seat else None,
            model_roles=others or None,
            config=EvalConfig(),
            packages={**first.provenance.packages, "oversight-playground": __version__},
            metadata={"playground": meta},
        ),
        plan=EvalPlan(
            name="plan", steps=[EvalPlanStep(solver=f"playground/{first.protocol}", params=options)]
        ),
        results=EvalResults(
            total_samples=len(samples),
            completed_samples=len(samples),
            scores=[
                EvalScore(
                    name=SCORER,
                    scorer=SCORER,
                    scored_samples=len(ok),
                    unscored_samples=len(records) - len(ok),
                    metrics=metrics,
                )
            ],
        ),
        stats=EvalStats(
            started_at=created,
            completed_at=max(r.provenance.created_at for r in records).isoformat(),
            model_usage=_usage(t for r in records for t in r.turns),
        ),
        samples=samples,
    )


def _samples(records: list[Record]) -> list[EvalSample]:
    seen: dict[str, int] = defaultdict(int)
    samples = []
    for record in records:
        a = record.assignment
        sample_id = record.item_id + ("/swapped" if a.swapped else "")
        sample_id += f"/{a.condition}" if a.condition else ""
        seen[sample_id] += 1
        if seen[sample_id] > 1:
            sample_id += f"/{seen[sample_id]}"
        samples.append(_sample(record, sample_id))
    return samples


def _sample(record: Record, sample_id: str) -> EvalSample:
    verdict = record.verdict
    own = next((t for t in record.turns if t.index == verdict.turn_index), None)
    messages: list[ChatMessage] = [ChatMessageUser(content=record.question, source="input")]
    messages += [_message(t) for t in sorted(record.turns, key=lambda t: t.index)]
    value = NOANSWER if record.is_correct is None else CORRECT if record.is_correct else INCORRECT
    score = Score(
        value=value,
        answer=letter(verdict.choice) if verdict.status == "ok" else "",
        explanation=verdict.raw,
        metadata={
            "status": verdict.status,
            "choice": verdict.choice,
            "credences": verdict.credences,
            "reason": verdict.reason,
            "role": verdict.role,
            "turn_index": verdict.turn_index,
            "metrics": verdict.metrics,
        },
    )
    origin = record.origin
    model = own.model if own else "none/none"
    output = ModelOutput.from_content(
        model, own.content if own else "", error=own.error if own else None
    )
    created = [t.created_at for t in record.turns] or [record.provenance.created_at]
    return EvalSample(
        id=sample_id,
        epoch=1,
        input=record.question,
        choices=record.answers,
        target=letter(record.correct),
        messages=messages,
        output=output,
        scores={SCORER: score},
        metadata={
            "playground": {
                "run_id": record.run_id,
                "transcript_id": record.transcript_id,
                "verdict_id": record.verdict_id,
                "item_id": record.item_id,
                "protocol": record.protocol,
                "is_correct": record.is_correct,
                "passage": origin.transcript.passage if origin else None,
                "item_meta": origin.transcript.item_meta if origin else {},
            },
            "assignment": record.assignment.model_dump(mode="json"),
            "provenance": record.provenance.model_dump(mode="json"),
        },
        model_usage=_usage(record.turns),
        started_at=min(created).isoformat(),
        completed_at=max(created).isoformat(),
        error=EvalError(message=verdict.reason or "error", traceback="", traceback_ansi="")
        if verdict.status == "error"
        else None,
    )


def _message(turn: Turn) -> ChatMessageAssistant:
    meta: dict[str, Any] = {
        "index": turn.index,
        "role": turn.role,
        "round": turn.round,
        "resolved_model": turn.resolved_model,
        "prompt_id": turn.prompt_id,
        "prompt_hash": turn.prompt_hash,
        "params": turn.params,
        "input_tokens": turn.input_tokens,
        "output_tokens": turn.output_tokens,
        "latency_ms": turn.latency_ms,
        "cost_usd": turn.cost_usd,
        "error": turn.error,
        "cached": turn.cached,
        "meta": turn.meta,
        "created_at": turn.created_at.isoformat(),
    }
    text = turn.content if not turn.error else f"[call failed: {turn.error}]"
    return ChatMessageAssistant(
        content=text or "(empty reply)",
        model=turn.model,
        source="generate",
        metadata={k: v for k, v in meta.items() if v not in (None, {}, [])},
    )


def _usage(turns: Iterable[Turn]) -> dict[str, ModelUsage]:
    usage: dict[str, ModelUsage] = {}
    for turn in turns:
        if turn.input_tokens is None and turn.output_tokens is None:
            continue
        u = usage.setdefault(turn.model, ModelUsage())
        u.input_tokens += turn.input_tokens or 0
        u.output_tokens += turn.output_tokens or 0
        u.total_tokens = u.input_tokens + u.output_tokens
        if turn.cost_usd is not None:
            u.total_cost = (u.total_cost or 0.0) + turn.cost_usd
    return usage
