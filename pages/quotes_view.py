"""Quotes on the page: under a transcript, the passage with each side's verified quotes
highlighted and its unverified ones (not found in the passage) listed apart in another colour;
and the judge's marks (``<v_quote>``/``<u_quote>``) shown as the same colours in a seat's view.

All text is escaped for markdown (`safetext.md_text`) before it is highlighted; no HTML is ever
passed through.
The checks are `playground.protocols.quotes`'; this module only finds where a verified quote
sits in the passage so it can be highlighted there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import streamlit as st

from pages.widgets import role_style, role_tag
from playground.protocols.quotes import FUZZY_THRESHOLD, Quote, QuoteMode, find_quotes, normalise
from playground.records import Assignment, Item, Turn
from playground.safetext import md_text

VERIFIED, UNVERIFIED = "green", "red"
ARGUERS = ("debater_a", "debater_b", "consultant")
CHECKED = {"strict": "strictly", "fuzzy": "fuzzily (small slips allowed)"}
_MARKS = re.compile(r"<(v|u)_quote>(.*?)</\1_quote>", re.DOTALL)


def highlight(text: str, colour: str) -> str:
    """Escaped text on a coloured background, line by line (a directive cannot span lines)."""
    return "  \n".join(
        f":{colour}-background[{md_text(line)}]" if line.strip() else ""
        for line in text.split("\n")
    )


def marked_markdown(text: str) -> str:
    """A prompt as a person in a seat reads it: escaped, with quotes the judge is told were
    verified or not shown on green or red."""
    parts, last = [], 0
    for match in _MARKS.finditer(text):
        parts.append(md_text(text[last : match.start()]))
        parts.append(highlight(match.group(2), VERIFIED if match.group(1) == "v" else UNVERIFIED))
        last = match.end()
    parts.append(md_text(text[last:]))
    return "".join(parts)


# -- where a quote sits in the passage ------------------------------------------------------


def _normalised_map(passage: str) -> tuple[str, list[int]]:
    """The passage normalised as `normalise` does, with each character's offset in the
    original (a run of spaces and punctuation becomes one space)."""
    chars: list[str] = []
    origin: list[int] = []
    gap = False
    for i, ch in enumerate(passage):
        folded = normalise(ch)
        if not folded:
            gap = bool(chars)
            continue
        if gap:
            chars.append(" ")
            origin.append(i)
            gap = False
        chars.extend(folded)
        origin.extend([i] * len(folded))
    return "".join(chars), origin


def locate(quote: str, passage: str, mode: QuoteMode) -> tuple[int, int] | None:
    """Where a verified quote is in the passage, as (start, end) offsets; None if not found
    (e.g. a quote that is not in it)."""
    text, origin = _normalised_map(passage)
    wanted = normalise(quote)
    if not wanted or text != normalise(passage):
        return None
    start = text.find(wanted)
    if start >= 0:
        return origin[start], origin[start + len(wanted) - 1] + 1
    if mode != "fuzzy":
        return None
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    size = len(wanted.split())
    best: tuple[float, int, int] | None = None
    for width in {max(1, size - 1), size, size + 1}:
        for first in range(0, max(1, len(words) - width + 1)):
            window = words[first : first + width]
            if not window:
                continue
            a, b = window[0][0], window[-1][1]
            ratio = SequenceMatcher(None, wanted, text[a:b], autojunk=False).ratio()
            if ratio >= FUZZY_THRESHOLD and (best is None or ratio > best[0]):
                best = (ratio, a, b)
    if best is None:
        return None
    return origin[best[1]], origin[best[2] - 1] + 1


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def passage_markdown(passage: str, spans: list[tuple[int, int]], colour: str = VERIFIED) -> str:
    """The passage, escaped, with the given spans highlighted."""
    parts, last = [], 0
    for start, end in _merge(spans):
        parts.append(md_text(passage[last:start]))
        parts.append(highlight(passage[start:end], colour))
        last = end
    parts.append(md_text(passage[last:]))
    return "".join(parts)


# -- per side -------------------------------------------------------------------------------


@dataclass
class SideQuotes:
    """One arguer's quotes in a transcript: verified ones with where they are in the passage."""

    role: str
    verified: list[tuple[Quote, tuple[int, int] | None]]
    unverified: list[Quote]


def side_quotes(turns: Sequence[Turn], passage: str | None, mode: QuoteMode) -> list[SideQuotes]:
    """Every arguer's quotes, checked: speeches only (no side choices, no best-of-N samples)."""
    sides: dict[str, SideQuotes] = {}
    for turn in sorted(turns, key=lambda t: t.index):
        if turn.role not in ARGUERS or turn.error or turn.meta.get("kind") is not None:
            continue
        side = sides.setdefault(turn.role, SideQuotes(turn.role, [], []))
        for quote in find_quotes(turn.content, passage, mode):
            if not quote.text:
                continue
            if quote.verified and passage:
                side.verified.append((quote, locate(quote.text, passage, mode)))
            else:
                side.unverified.append(quote)
    return [sides[r] for r in ARGUERS if r in sides]


def render_quotes(
    item: Item, assignment: Assignment, turns: Sequence[Turn], mode: QuoteMode
) -> None:
    """What each side cited: the passage with its verified quotes highlighted, and the quotes
    the passage does not contain listed below it in another colour. Nothing if nobody quoted."""
    checked: QuoteMode = "strict" if mode == "off" else mode
    sides = [s for s in side_quotes(turns, item.passage, checked) if s.verified or s.unverified]
    if not sides:
        return
    with st.expander(
        "Quotes checked against the passage", expanded=True, icon=":material/format_quote:"
    ):
        note = (
            "Quote checking was off in this run, so the judge saw the quotes unmarked; they "
            "are checked strictly here for you."
            if mode == "off"
            else f"Checked {CHECKED[mode]}, as the judge was told."
        )
        st.caption(
            f":{VERIFIED}-background[verified]: found in the passage · "
            f":{UNVERIFIED}-background[unverified]: not in it. {note}"
        )
        for side, column in zip(sides, st.columns(len(sides)), strict=True):
            with column:
                _render_side(side, item, assignment)


def _render_side(side: SideQuotes, item: Item, assignment: Assignment) -> None:
    defended = assignment.seats.get(side.role)
    label = ""
    if defended is not None and defended in assignment.display_order:
        label = f" (for Answer {'AB'[assignment.display_order.index(defended)]})"
    st.markdown(
        f"{role_tag(side.role)}{label} · quotes: {len(side.verified)} verified, "
        f"{len(side.unverified)} unverified"
    )
    if item.passage:
        spans = [span for _, span in side.verified if span is not None]
        with st.container(border=True):
            st.markdown(passage_markdown(item.passage, spans))
    unlocated = [q for q, span in side.verified if span is None]
    if unlocated:
        st.caption("Verified, but not placed in the passage above:")
        st.markdown(listing(unlocated, VERIFIED))
    if side.unverified:
        st.caption(f"{role_style(side.role).name}'s quotes that are not in the passage:")
        st.markdown(listing(side.unverified, UNVERIFIED))


def listing(quotes: Sequence[Quote], colour: str) -> str:
    """Distinct quotes as a markdown list, a repeated one counted once with ×N."""
    seen: dict[str, int] = {}
    for quote in quotes:
        seen[quote.text] = seen.get(quote.text, 0) + 1
    return "\n".join(
        f"- {highlight(text, colour)}" + (f" ×{n}" if n > 1 else "") for text, n in seen.items()
    )
