"""Hand-built `Record`s for the analysis tests: small logs whose metrics can be worked out by
hand, including shapes no protocol writes yet (panels, per-round credences, checks,
consultancy), put into a real store through the importer."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from playground.analysis import Frames, load_frames
from playground.records import (
    Assignment,
    Provenance,
    Record,
    RoleProvenance,
    Turn,
    Verdict,
    score,
)
from playground.store import Store
from playground.store.importer import import_records

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_clock = itertools.count()


def tick() -> datetime:
    """Strictly increasing timestamps, so log order is the order records are built in."""
    return T0 + timedelta(milliseconds=next(_clock))


def roles(**models: str) -> dict[str, RoleProvenance]:
    prompt = {"judge": "debate/judge", "consultant": "consultancy/consultant"}
    return {
        role: RoleProvenance(
            model=model,
            prompt_id=prompt.get(role, "debate/debater"),
            prompt_hash=("a" if role.startswith("judge") else "b") * 64,
        )
        for role, model in models.items()
    }


def turn(index: int, role: str, model: str, round_: int | None = None, **kw: Any) -> Turn:
    defaults: dict[str, Any] = {
        "content": f"{role} says {index}",
        "input_tokens": 10,
        "output_tokens": 5,
        "latency_ms": 100.0,
        "cost_usd": 0.001,
    }
    return Turn(
        index=index, role=role, round=round_, model=model, created_at=tick(), **{**defaults, **kw}
    )


def record(
    run_id: str,
    item_id: str,
    *,
    choice: int | None,
    correct: int = 0,
    display: tuple[int, ...] = (0, 1),
    seats: dict[str, int] | None = None,
    swapped: bool = False,
    status: str = "ok",
    credences: list[float] | None = None,
    judge_role: str = "judge",
    judge: str = "judge/x",
    debaters: tuple[str, str] = ("deb/a", "deb/b"),
    transcript_id: str | None = None,
    shared: list[Turn] | None = None,
    judge_index: int | None = None,
    protocol: str = "debate",
    dataset: str = "ds",
    options: dict[str, Any] | None = None,
    extra_roles: dict[str, str] | None = None,
) -> Record:
    """One verdict. Default seats: debater_a defends display[0], debater_b display[1]."""
    seats = dict(zip(("debater_a", "debater_b"), display, strict=False)) if seats is None else seats
    seat_models = dict(zip(("debater_a", "debater_b"), debaters, strict=True))
    if shared is None:
        shared = [turn(i, role, seat_models.get(role, "x/y"), 1) for i, role in enumerate(seats)]
    index = judge_index if judge_index is not None else len(shared)
    judge_turn = turn(index, judge_role, judge, content=f"Answer: {choice}")
    verdict = Verdict(
        status=status,  # type: ignore[arg-type]
        choice=choice if status == "ok" else None,
        credences=credences,
        raw=f"Answer: {choice}",
        reason=None if status == "ok" else status,
        role=judge_role,
        turn_index=None if status == "error" else index,
    )
    answers = [f"answer {i}" for i in range(max(2, max(display) + 1))]
    models = {role: seat_models.get(role, "x/y") for role in seats}
    models[judge_role] = judge
    models.update(extra_roles or {})
    return Record(
        run_id=run_id,
        transcript_id=transcript_id or f"{run_id}/{item_id}/{int(swapped)}/{judge_role}",
        verdict_id=f"v{next(_clock)}",
        item_id=item_id,
        protocol=protocol,
        question=f"question {item_id}?",
        answers=answers,
        correct=correct,
        assignment=Assignment(seats=seats, display_order=list(display), swapped=swapped),
        turns=[*shared, *([] if status == "error" else [judge_turn])],
        verdict=verdict,
        is_correct=score(verdict, correct),
        provenance=Provenance(
            roles=roles(**models),
            options=options or {"rounds": 1},
            dataset=dataset,
            playground_version="0.1.0",
            created_at=T0,
        ),
    )


def load(store: Store, records: list[Record]) -> Frames:
    import_records(store, records)
    return load_frames(store)


def panel_records_for_page() -> list[Record]:
    """Two transcripts each judged by two judges (a small judge panel)."""
    out = []
    for i, (c1, c2) in enumerate([(0, 0), (0, 1)]):
        for role, model, choice, index in (
            ("judge_1", "j/one", c1, 2),
            ("judge_2", "j/two", c2, 3),
        ):
            out.append(
                record("panel", f"q{i}", choice=choice, credences=[0.7, 0.3] if choice == 0 else [0.4, 0.6],
                       judge_role=role, judge=model, transcript_id=f"panel-{i}", judge_index=index)
            )  # fmt: skip
    return out
