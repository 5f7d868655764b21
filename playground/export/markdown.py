"""A debate as readable Markdown, one file per item: the question and answers, the passage, then
each transcript (original and position-swapped) with its speeches and verdicts, for sharing a
single debate.

Untrusted text goes through `playground.safetext`: model and dataset text is quoted (every line
behind ``>``) as `md_prose` with HTML entities, so it keeps its formatting and code but can
neither break the document's structure, inject HTML, nor show an image or a link where the
Markdown is rendered; ids, model names and prompt ids are `md_code` spans they cannot leave.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ..records import Record, Turn
from ..safetext import md_code, md_prose
from ..store import Store
from .people import Rename, hide_people, renamer

LABELS = "ABCDEFGHIJ"


def quote(text: str) -> str:
    """Model or dataset text as a Markdown block quote, escaped."""
    escaped = md_prose(text.strip() or "(empty)", hard_breaks=False, html_entities=True)
    return "\n".join(f"> {line}" if line else ">" for line in escaped.splitlines())


def inline(text: str) -> str:
    """Short text (a question, an answer, a name) on one line, escaped."""
    return md_prose(" ".join(str(text).split()), hard_breaks=False, html_entities=True)


def _role_name(role: str) -> str:
    return inline(role.replace("_", " ").title())


def _turn(turn: Turn) -> list[str]:
    head = f"**{_role_name(turn.role)}** · {md_code(turn.model)}"
    if turn.resolved_model and turn.resolved_model not in turn.model:
        head += f" ({md_code(turn.resolved_model)})"
    asked = (
        [quote(f"asked about: {turn.meta['statement']}"), ""] if "statement" in turn.meta else []
    )
    if turn.error:
        return [head, "", *asked, quote(f"call failed: {turn.error}"), ""]
    return [head, "", *asked, quote(turn.content), ""]


def _answer(record: Record, index: int | None) -> str:
    if index is None or not 0 <= index < len(record.answers):
        return "—"
    return f"answer {index} “{inline(record.answers[index])}”"


def _verdict(record: Record) -> list[str]:
    v = record.verdict
    mark = {True: "correct", False: "wrong", None: "not scored"}[record.is_correct]
    line = f"**Verdict** ({inline(v.role)}): {inline(v.status)}"
    if v.status == "ok":
        line += f" — chose {_answer(record, v.choice)}, {mark}"
    if v.credences:
        line += " · credences " + " / ".join(f"{c:.2f}" for c in v.credences)
    lines = [line]
    if v.reason:
        lines.append(f"Reason: {inline(v.reason)}")
    m = v.metrics or {}
    if m.get("kind") == "approval":
        lines.append(
            f"Approval of step {inline(m['step'])} ({inline(m['source'])}): "
            f"{inline(m['approval'])} · true value "
            f"{m['true_value']:.3g} · rationale: {inline(str(m['rationale']))}"
        )
    elif "violation" in m:
        lines.append(
            f"Consistency ({inline(str(m.get('family')))}): violation {inline(m['violation'])}"
        )
    return [*lines, ""]


def transcript_markdown(records: list[Record]) -> list[str]:
    """One transcript (its verdicts' records share the turns): assignment, turns by round,
    then each judge's call and verdict."""
    first = records[0]
    a = first.assignment
    lines = [
        f"## {'Positions swapped' if a.swapped else 'Original order'} · transcript "
        f"{md_code(first.transcript_id)}",
        "",
    ]
    for role, index in a.seats.items():
        lines.append(f"- {_role_name(role)} defends {_answer(first, index)}")
    shown = ", ".join(
        f"{LABELS[i]} = {_answer(first, idx)}" for i, idx in enumerate(a.display_order)
    )
    lines += [f"- The judge saw: {shown}", ""] if shown else []
    judge_turns = {r.verdict.turn_index for r in records if r.verdict.turn_index is not None}
    shared = [t for t in first.turns if t.index not in judge_turns]
    current_round: int | None = None
    for turn in shared:
        if turn.round is not None and turn.round != current_round:
            current_round = turn.round
            lines += [f"### Round {turn.round}", ""]
        lines += _turn(turn)
    for record in records:
        own = [t for t in record.turns if t.index == record.verdict.turn_index]
        lines += ["### Judgement", ""]
        for turn in own:
            lines += _turn(turn)
        lines += _verdict(record)
    return lines


def item_markdown(records: Iterable[Record]) -> str:
    """Markdown for one item of one run: every transcript of it and every verdict."""
    records = list(records)
    if not records:
        raise ValueError("item_markdown: no records")
    first = records[0]
    origin = first.origin
    title = inline(first.question)
    lines = [f"# {title}", ""]
    meta = [f"run {md_code(first.run_id)}"]
    if origin:
        meta[0] += f" ({inline(origin.run.name)})"
    meta += [f"protocol {inline(first.protocol)}", f"item {md_code(first.item_id)}"]
    if first.provenance.dataset:
        meta.append(f"dataset {md_code(first.provenance.dataset)}")
    lines += [" · ".join(meta), "", "**Answers**", ""]
    for i, answer in enumerate(first.answers):
        lines.append(f"{i}. {inline(answer)}{'  ✓ correct' if i == first.correct else ''}")
    lines.append("")
    if origin and origin.transcript.passage:
        lines += [
            "**Passage** (the debaters see it; the judge does not)",
            "",
            quote(origin.transcript.passage),
            "",
        ]
    roles = first.provenance.roles
    lines += ["**Seats**", ""]
    for role, seat in roles.items():
        prompt = f", prompt {md_code(seat.prompt_id)}" if seat.prompt_id else ""
        lines.append(f"- {_role_name(role)}: {md_code(seat.model)}{prompt}")
    lines.append("")
    by_transcript: dict[str, list[Record]] = {}
    for record in records:
        by_transcript.setdefault(record.transcript_id, []).append(record)
    for group in by_transcript.values():
        lines += transcript_markdown(group)
    return "\n".join(lines).rstrip() + "\n"


def run_items(store: Store, run_id: str, rename: Rename | None = None) -> dict[str, list[Record]]:
    """A run's records grouped by item id, in log order (participants renamed by ``rename``,
    `playground.export.people`)."""
    items: dict[str, list[Record]] = {}
    for record in hide_people(store.iter_records(run_id), rename):
        items.setdefault(record.item_id, []).append(record)
    return items


def safe_name(text: str) -> str:
    """A file-name-safe version of an id."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "item"


def export_markdown(
    store: Store, run_id: str, out_dir: str | Path, with_emails: bool = False
) -> list[Path]:
    """One ``<item>.md`` per item of a run into ``out_dir``; return the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item_id, records in run_items(store, run_id, renamer(store, with_emails)).items():
        path = out / f"{safe_name(item_id)}.md"
        path.write_text(item_markdown(records), encoding="utf-8")
        written.append(path)
    return written
