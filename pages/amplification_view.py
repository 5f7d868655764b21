"""Page building blocks for amplification trees: the tree as an indented
list (live) or as nested expanders (stored), a node's details, and an original tree beside its
fork. Model text goes through `md` into `st.markdown`/`st.caption` only, never as HTML.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from pages.widgets import md, role_tag, verdict_marker
from playground.protocols.amplification import Node, tree_from_turns
from playground.records import Item, Turn, Verdict
from playground.safetext import md_code, md_line
from playground.store import TranscriptView

# sized for the embedded 135M model: short replies, and a checker that only needs two lines
DEFAULTS = {"decomposer": 96, "answerer": 64, "recombiner": 96, "checker": 24}
STATUS = {
    "waiting": ":gray-badge[waiting]",
    "decomposed": ":blue-badge[decomposed]",
    "answered": ":green-badge[answered]",
    "recombined": ":green-badge[recombined]",
    "edited": ":violet-badge[:material/edit: edited by hand]",
    "error": ":red-badge[:material/error: error]",
}


def render_item(item: Item) -> None:
    """The question, its candidate answers, and the passage in an expander."""
    st.markdown(f"**Question.** {md(item.question)}")
    for number, answer in enumerate(item.answers, 1):
        st.markdown(f"{number}. {md(answer)}")
    if item.passage:
        with st.expander("Passage: every role sees it but the checker"):
            st.markdown(md(item.passage))


# -- one node -----------------------------------------------------------------------------------


def check_badges(node: Node) -> str:
    """One badge per check: red when it flags the node, orange when unreadable, green when passed."""
    badges = []
    for name, check in node.checks.items():
        if check.flagged:
            badges.append(f":red-badge[:material/flag: {md_line(name)}]")
        elif check.status != "ok":
            badges.append(f":orange-badge[:material/help: {md_line(f'{name} {check.status}')}]")
        else:
            badges.append(f":green-badge[:material/check: {md_line(name)}]")
    return " ".join(badges)


def clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def node_line(node: Node) -> str:
    """A node in one line of markdown: id, status, question, short answer, budget, checks."""
    parts = [
        md_code(node.id),
        STATUS[node.status],
        md(clip(node.question or "(question not yet known)")),
    ]
    if node.short or node.answer:
        parts.append(f"→ **{md(clip(node.short or node.answer or '', 40))}**")
    if node.budget:
        parts.append(f":gray-badge[budget: {md_line(node.budget)}]")
    return " ".join([*parts, check_badges(node)]).strip()


def tree_markdown(nodes: dict[str, Node]) -> str:
    """The tree as a nested markdown list (for the live view and side-by-side comparisons)."""
    return "\n".join("  " * node.depth + "- " + node_line(node) for node in nodes.values())


def node_details(node: Node, turns: dict[int, Turn]) -> None:
    """What the node's turns say: the answering reply, why it is a leaf, each check's reply."""
    answer = turns.get(node.answer_turn) if node.answer_turn is not None else None
    if answer is not None:
        st.markdown(f"{role_tag(answer.role)} · turn {answer.index} · {md_code(answer.model)}")
        st.markdown(md(answer.content) if answer.content.strip() else "_(empty reply)_")
    if node.error:
        st.markdown(f":red[**Call failed.**] {md(node.error)}")
    reasons = {
        "leaf": "The decomposer declared it a leaf.",
        "single": "The decomposer gave one subquestion: answered as a leaf.",
        "unparseable": "The decomposer's reply could not be read: answered as a leaf.",
    }
    if node.decomposition in reasons:
        st.caption(reasons[node.decomposition])
    if node.budget:
        st.caption(f"Answered directly: the {md_line(node.budget)} budget was reached.")
    for name, check in node.checks.items():
        turn = turns.get(check.turn) if check.turn is not None else None
        credence = (
            f" · credence justified {check.credence:.0%}" if check.credence is not None else ""
        )
        verdict = (
            "flagged" if check.flagged else ("passed" if check.flagged is False else check.status)
        )
        detail = f" ({md(check.detail)})" if check.detail else ""
        st.markdown(f"**{md_line(name)}** check: {md_line(verdict)}{credence}{detail}")
        if turn is not None:
            st.caption(md(clip(turn.error or turn.content, 400)))


def render_tree(view: TranscriptView, expand_depth: int = 1) -> dict[str, Node]:
    """A stored tree as nested expanders (expanded down to ``expand_depth``); returns its nodes."""
    nodes = tree_from_turns(view.item.question, view.turns)
    turns = {t.index: t for t in view.turns}

    def show(node_id: str) -> None:
        node = nodes[node_id]
        with st.expander(node_line(node), expanded=node.depth < expand_depth):
            node_details(node, turns)
            for child in node.children:
                if child in nodes:
                    show(child)

    show("1")
    return nodes


def verdict_lines(verdicts: Iterable[tuple[str, Verdict, bool | None]], answers: list[str]) -> str:
    names = {"recombiner": "Amplified", "direct": "Direct"}
    lines = []
    for _, verdict, correct in verdicts:
        chose = f" · chose “{md(answers[verdict.choice])}”" if verdict.choice is not None else ""
        lines.append(
            f"**{md_line(names.get(verdict.role, verdict.role))}** "
            f"{verdict_marker(verdict, correct)}{chose}"
        )
    return "  \n".join(lines) or "_no verdict yet_"


def compare(original: TranscriptView, forked: TranscriptView) -> None:
    """The original tree beside its fork, and a table of the nodes whose answer or flags changed."""
    before = tree_from_turns(original.item.question, original.turns)
    after = tree_from_turns(forked.item.question, forked.turns)
    left, right = st.columns(2)
    for column, title, view, nodes in (
        (left, "Original", original, before),
        (right, "After the change", forked, after),
    ):
        with column.container(border=True):
            st.markdown(f"**{title}**")
            st.markdown(verdict_lines(view.verdicts, view.item.answers))
            st.markdown(tree_markdown(nodes))
    rows = []
    for node_id, node in after.items():
        old = before.get(node_id)
        if old is None or (old.short, old.flagged, old.edited) != (
            node.short,
            node.flagged,
            node.edited,
        ):
            rows.append(
                {
                    "node": node_id,
                    "answer before": old.short if old else None,
                    "answer after": node.short,
                    "flags before": ", ".join(old.flagged) if old else "",
                    "flags after": ", ".join(node.flagged),
                    "edited": node.edited,
                }
            )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    else:
        st.caption("No node's answer or flags changed.")
