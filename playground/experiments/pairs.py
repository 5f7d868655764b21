"""Pairing two runs' verdicts for an A/B comparison: by (item, assignment, verdict role), with
each arm's counts, the paired statistics of `playground.prompting.stats`, and warnings for any
difference between the runs besides the compared prompts. Works on any two stored runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..prompting.stats import PairedStats, paired_stats
from ..records import Assignment, Record, plan_key
from ..store import Store
from .config import ExperimentError


@dataclass(frozen=True, kw_only=True)
class ArmVerdict:
    """One arm's verdict on a pair."""

    status: str
    choice: int | None
    is_correct: bool | None
    raw: str
    reason: str | None
    transcript_id: str

    @property
    def outcome(self) -> tuple[bool, bool]:
        """(scored, correct): unparseable and error verdicts are never counted correct."""
        return self.status == "ok", self.status == "ok" and bool(self.is_correct)

    @property
    def label(self) -> str:
        """correct, wrong, unparseable or error."""
        if self.status != "ok":
            return self.status
        return "correct" if self.is_correct else "wrong"


@dataclass(frozen=True, kw_only=True)
class ABPair:
    """One item under one assignment, judged in both arms (by the judge seat ``role``)."""

    item_id: str
    role: str
    question: str
    answers: list[str]
    correct: int | None
    assignment: Assignment
    a: ArmVerdict
    b: ArmVerdict

    @property
    def changed(self) -> bool:
        """The verdict differs: another status or another choice."""
        return (self.a.status, self.a.choice) != (self.b.status, self.b.choice)

    def shown(self, verdict: ArmVerdict) -> str:
        """The verdict as the judge gave it: ``B (wrong)``, or its status."""
        if verdict.status != "ok" or verdict.choice is None:
            return verdict.status
        order = self.assignment.display_order
        label = "ABCDEF"[order.index(verdict.choice)] if verdict.choice in order else "?"
        return f"{label} ({verdict.label})"


@dataclass(frozen=True, kw_only=True)
class ArmSummary:
    """One arm over the paired verdicts: its run, the prompt pinned, its verdict counts."""

    run_id: str
    prompts: dict[str, str]
    """Seat → ``id@hash`` of the prompt it used."""
    ok: int
    unparseable: int
    error: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.ok if self.ok else None


@dataclass(frozen=True, kw_only=True)
class ABResult:
    """Two runs paired verdict by verdict, with the statistics and what may spoil the pairing."""

    seats: tuple[str, ...]
    a: ArmSummary
    b: ArmSummary
    pairs: list[ABPair]
    stats: PairedStats
    unpaired: tuple[int, int] = (0, 0)
    """Verdicts of A and of B with no counterpart in the other run (left out of everything)."""
    warnings: list[str] = field(default_factory=list)
    """Differences between the runs other than the seats' prompts (pairing is then unfair)."""

    @property
    def changed(self) -> list[ABPair]:
        return [p for p in self.pairs if p.changed]


def _by_key(records: list[Record]) -> dict[tuple[str, str, str], Record]:
    keyed: dict[tuple[str, str, str], Record] = {}
    for record in records:
        keyed.setdefault(
            (*plan_key(record.item_id, record.assignment), record.verdict.role), record
        )
    return keyed


def _arm(record: Record) -> ArmVerdict:
    v = record.verdict
    return ArmVerdict(
        status=v.status,
        choice=v.choice,
        is_correct=record.is_correct,
        raw=v.raw,
        reason=v.reason,
        transcript_id=record.transcript_id,
    )


def _provenance(store: Store, run_id: str) -> dict[str, Any]:
    info = store.get_run(run_id)
    if info is None:
        raise ExperimentError(f"no run {run_id!r} in {store!r}")
    provenance: dict[str, Any] = info.config.get("provenance", {})
    return provenance


def _differences(prov_a: dict[str, Any], prov_b: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The seats whose prompt differs, and warnings for anything else that differs."""
    roles_a, roles_b = prov_a.get("roles", {}), prov_b.get("roles", {})
    seats = [
        r for r in roles_a if roles_a[r].get("prompt_hash") != roles_b.get(r, {}).get("prompt_hash")
    ]
    warnings = []
    for key in ("dataset", "seed", "options"):
        if prov_a.get(key) != prov_b.get(key):
            warnings.append(f"the runs differ in {key}: {prov_a.get(key)!r} vs {prov_b.get(key)!r}")
    for role in sorted(set(roles_a) | set(roles_b)):
        a, b = roles_a.get(role, {}), roles_b.get(role, {})
        for key in ("model", "base_url", "params"):
            if a.get(key) != b.get(key):
                warnings.append(f"{role} differs in {key}: {a.get(key)!r} vs {b.get(key)!r}")
    return seats, warnings


def _summary(run_id: str, prov: dict[str, Any], verdicts: list[ArmVerdict]) -> ArmSummary:
    roles = prov.get("roles", {})
    prompts = {
        r: f"{info.get('prompt_id')}@{info.get('prompt_hash')}"
        for r, info in roles.items()
        if info.get("prompt_hash")
    }
    count = {s: sum(1 for v in verdicts if v.status == s) for s in ("ok", "unparseable", "error")}
    return ArmSummary(
        run_id=run_id,
        prompts=prompts,
        ok=count["ok"],
        unparseable=count["unparseable"],
        error=count["error"],
        correct=sum(1 for v in verdicts if v.outcome[1]),
    )


def compare_runs(
    store: Store, run_a: str, run_b: str, *, resamples: int = 10_000, seed: int | None = None
) -> ABResult:
    """Pair two runs' verdicts by (item, assignment, verdict role) and compare them. The bootstrap
    is seeded with ``seed`` (default: the runs' own seed), so a result reads back the same."""
    prov_a, prov_b = _provenance(store, run_a), _provenance(store, run_b)
    seats, warnings = _differences(prov_a, prov_b)
    records_a = _by_key(list(store.iter_records(run_a)))
    records_b = _by_key(list(store.iter_records(run_b)))
    pairs = []
    for key, ra in records_a.items():
        rb = records_b.get(key)
        if rb is None:
            continue
        pairs.append(
            ABPair(
                item_id=ra.item_id,
                role=ra.verdict.role,
                question=ra.question,
                answers=ra.answers,
                correct=ra.correct,
                assignment=ra.assignment,
                a=_arm(ra),
                b=_arm(rb),
            )
        )
    stats = paired_stats(
        [p.a.outcome for p in pairs],
        [p.b.outcome for p in pairs],
        resamples=resamples,
        seed=(prov_a.get("seed") or 0) if seed is None else seed,
    )
    return ABResult(
        seats=tuple(seats),
        a=_summary(run_a, prov_a, [p.a for p in pairs]),
        b=_summary(run_b, prov_b, [p.b for p in pairs]),
        pairs=pairs,
        stats=stats,
        unpaired=(len(records_a) - len(pairs), len(records_b) - len(pairs)),
        warnings=warnings,
    )
