"""Diffing two prompt versions: line rows side by side with changed words marked, a unified
diff for terminals, and an HTML table for the page in which every piece of text is escaped.

A template is diffed as text: each message is a header line (``[system]``) followed by its
content lines, so a changed message role shows up as a changed header.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from ..prompts import PromptTemplate
from ..safetext import html_text

Tag = Literal["equal", "replace", "delete", "insert"]
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A run of text in a diff row; ``changed`` marks words that differ from the other side."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; a side is empty (no line number) for an insert or delete."""

    tag: Tag
    left_no: int | None
    left: tuple[Segment, ...]
    right_no: int | None
    right: tuple[Segment, ...]


def template_lines(template: PromptTemplate) -> list[str]:
    """The template as the lines a diff compares: a ``[role]`` header, then the content."""
    lines: list[str] = []
    for role, content in template.messages:
        lines.append(f"[{role}]")
        lines.extend(content.split("\n"))
    return lines


def _words(left: str, right: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both lines split into segments, marking the words that differ."""
    a, b = _WORDS.findall(left), _WORDS.findall(right)
    out_a: list[Segment] = []
    out_b: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            out_a.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            out_b.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return tuple(out_a), tuple(out_b)


def diff_templates(old: PromptTemplate, new: PromptTemplate) -> list[DiffRow]:
    """Side-by-side rows from ``old`` (left) to ``new`` (right); line numbers count from 1."""
    a, b = template_lines(old), template_lines(new)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                seg = (Segment(a[i1 + k]),)
                rows.append(DiffRow("equal", i1 + k + 1, seg, j1 + k + 1, seg))
            continue
        # pair replaced lines in order; what is left over is a pure delete or insert
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            if i < i2 and j < j2:
                left, right = _words(a[i], b[j])
                rows.append(DiffRow("replace", i + 1, left, j + 1, right))
            elif i < i2:
                rows.append(DiffRow("delete", i + 1, (Segment(a[i], True),), None, ()))
            else:
                rows.append(DiffRow("insert", None, (), j + 1, (Segment(b[j], True),)))
    return rows


def is_same(rows: list[DiffRow]) -> bool:
    return all(row.tag == "equal" for row in rows)


def unified_diff(
    old: PromptTemplate, new: PromptTemplate, *, old_name: str = "", new_name: str = ""
) -> str:
    """A unified diff (``---``/``+++``/``@@``), empty when the wordings are the same."""
    lines = difflib.unified_diff(
        template_lines(old),
        template_lines(new),
        fromfile=old_name or f"{old.id}@{old.hash[:12]}",
        tofile=new_name or f"{new.id}@{new.hash[:12]}",
        lineterm="",
    )
    return "\n".join(lines)


_STYLE = """<style>
.pdiff{border-collapse:collapse;width:100%;font-family:monospace;font-size:0.85em}
.pdiff td,.pdiff th{padding:1px 6px;vertical-align:top;white-space:pre-wrap;word-break:break-word}
.pdiff th{text-align:left}
.pdiff .no{color:#888;text-align:right;width:2.5em;user-select:none}
.pdiff .replace .l,.pdiff .delete .l{background:rgba(255,80,80,0.12)}
.pdiff .replace .r,.pdiff .insert .r{background:rgba(60,200,90,0.14)}
.pdiff .l del{background:rgba(255,80,80,0.40);text-decoration:none}
.pdiff .r ins{background:rgba(60,200,90,0.45);text-decoration:none}
</style>"""


def _cell(segments: tuple[Segment, ...], mark: str) -> str:
    """Escaped text; changed segments wrapped in <del>/<ins>. Nothing from a template reaches
    the page unescaped."""
    parts = []
    for seg in segments:
        text = html_text(seg.text)
        parts.append(f"<{mark}>{text}</{mark}>" if seg.changed and seg.text.strip() else text)
    return "".join(parts)


def side_by_side_html(rows: list[DiffRow], left_title: str, right_title: str) -> str:
    """An HTML table of the rows, for ``st.html``/``st.markdown(unsafe_allow_html=True)``; every
    piece of template text and both titles are passed through `safetext.html_text`."""
    out = [
        _STYLE,
        '<table class="pdiff"><thead><tr>',
        f"<th></th><th>{html_text(left_title)}</th><th></th><th>{html_text(right_title)}</th>",
        "</tr></thead><tbody>",
    ]
    for row in rows:
        left_no = "" if row.left_no is None else str(row.left_no)
        right_no = "" if row.right_no is None else str(row.right_no)
        out.append(
            f'<tr class="{row.tag}"><td class="no">{left_no}</td>'
            f'<td class="l">{_cell(row.left, "del")}</td>'
            f'<td class="no">{right_no}</td><td class="r">{_cell(row.right, "ins")}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)
