"""Amplified vs direct answers, and how well each check predicts a wrong amplified answer, over
the records of amplification runs (Streamlit-free; the analysis page renders it).

Only subquestion answers have no ground truth, so a check is scored against the amplified
root answer: for each check, in scope ``root`` (the root's own check) and ``tree`` (flagged at
any internal node), how many transcripts with a wrong root answer were flagged, passed or could
not be read, and the same for a right one. Transcripts whose amplified verdict is not ``ok``
are counted apart and never scored, as everywhere else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ...records import Record, Turn, Verdict
from .tree import CHECKS, ROOT, Node, tree_from_turns

ANY = "any"
"""A pseudo-check: flagged when any check flagged."""
OUTCOMES = ("flagged", "passed", "unreadable")


@dataclass
class Accuracy:
    """Verdicts of one kind (amplified or direct) by status, and how many ok ones were right."""

    ok: int = 0
    correct: int = 0
    unparseable: int = 0
    error: int = 0

    def add(self, verdict: Verdict | None, is_correct: bool | None) -> None:
        if verdict is None:
            return
        if verdict.status == "ok":
            self.ok += 1
            self.correct += bool(is_correct)
        elif verdict.status == "unparseable":
            self.unparseable += 1
        else:
            self.error += 1

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.ok if self.ok else None


@dataclass
class CheckTable:
    """A confusion table of one check against the amplified answer's correctness."""

    check: str
    scope: str
    counts: dict[tuple[str, bool], int] = field(default_factory=lambda: defaultdict(int))
    """(outcome, root answer correct) → transcripts; outcome is flagged, passed or unreadable."""
    nodes_checked: int = 0
    nodes_flagged: int = 0

    def rate(self, correct: bool) -> float | None:
        """How often it flagged a root answer that was right (``True``) or wrong (``False``),
        among those it could read."""
        flagged = self.counts[("flagged", correct)]
        read = flagged + self.counts[("passed", correct)]
        return flagged / read if read else None

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"check": self.check, "scope": self.scope}
        for outcome in OUTCOMES:
            row[f"{outcome} (wrong)"] = self.counts[(outcome, False)]
            row[f"{outcome} (right)"] = self.counts[(outcome, True)]
        row["flag rate (wrong)"] = self.rate(False)
        row["flag rate (right)"] = self.rate(True)
        if self.scope == "tree":
            row["nodes checked"], row["nodes flagged"] = self.nodes_checked, self.nodes_flagged
        return row


@dataclass
class AmplificationSummary:
    transcripts: int = 0
    amplified: Accuracy = field(default_factory=Accuracy)
    direct: Accuracy = field(default_factory=Accuracy)
    both_ok: int = 0
    agree: int = 0
    only_amplified_right: int = 0
    only_direct_right: int = 0
    checks: list[CheckTable] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row per check and scope, for a table."""
        return [table.row() for table in self.checks]


@dataclass
class _Transcript:
    question: str = ""
    turns: dict[int, Turn] = field(default_factory=dict)
    verdicts: dict[str, tuple[Verdict, bool | None]] = field(default_factory=dict)


def outcome(nodes: Iterable[Node], check: str) -> str | None:
    """flagged if any node's check flagged; else unreadable if any could not be read; else passed;
    None when no node had the check."""
    results = [n.checks[c] for n in nodes for c in n.checks if check in (c, ANY)]
    if not results:
        return None
    if any(r.flagged for r in results):
        return "flagged"
    return "unreadable" if any(r.flagged is None for r in results) else "passed"


def summarize(records: Iterable[Record]) -> AmplificationSummary:
    """The summary of every amplification record given (others are skipped)."""
    transcripts: dict[str, _Transcript] = defaultdict(_Transcript)
    for record in records:
        if record.protocol != "amplification":
            continue
        entry = transcripts[record.transcript_id]
        entry.question = record.question
        entry.turns.update({t.index: t for t in record.turns})
        entry.verdicts[record.verdict.role] = (record.verdict, record.is_correct)
    summary = AmplificationSummary(transcripts=len(transcripts))
    tables = {
        (check, scope): CheckTable(check, scope)
        for check in (*CHECKS, ANY)
        for scope in ("root", "tree")
    }
    for entry in transcripts.values():
        amplified, direct = entry.verdicts.get("recombiner"), entry.verdicts.get("direct")
        summary.amplified.add(*(amplified or (None, None)))
        summary.direct.add(*(direct or (None, None)))
        if not amplified or amplified[0].status != "ok":
            continue
        correct = bool(amplified[1])
        if direct and direct[0].status == "ok":
            summary.both_ok += 1
            summary.agree += amplified[0].choice == direct[0].choice
            summary.only_amplified_right += correct and not direct[1]
            summary.only_direct_right += bool(direct[1]) and not correct
        nodes = tree_from_turns(entry.question, entry.turns.values())
        for (check, scope), table in tables.items():
            scoped = [nodes[ROOT]] if scope == "root" else list(nodes.values())
            found = outcome(scoped, check)
            if found is not None:
                table.counts[(found, correct)] += 1
            if scope == "tree":
                for node in scoped:
                    results = [r for c, r in node.checks.items() if check in (c, ANY)]
                    table.nodes_checked += bool(results)
                    table.nodes_flagged += any(r.flagged for r in results)
    summary.checks = list(tables.values())
    return summary
