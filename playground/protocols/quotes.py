"""Quote verification: arguers cite the passage inside ``<quote>…</quote>``; each quote is checked
against the passage and the judge sees verified and unverified quotes marked differently
(``<v_quote>…</v_quote>`` and ``<u_quote>…</u_quote>``, as in Khan et al. 2024).

Modes:
- ``strict``: the quote, normalised (case folded, punctuation dropped, whitespace collapsed),
  occurs in the normalised passage.
- ``fuzzy``: some window of the normalised passage, as long as the quote, matches it with a
  `difflib` similarity ratio of at least ``FUZZY_THRESHOLD``.
- ``off``: quotes are neither checked nor marked.
A passage-less item verifies nothing: every quote is unverified.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

QuoteMode = Literal["strict", "fuzzy", "off"]
QUOTE = re.compile(r"<quote>(.*?)</quote>", re.DOTALL | re.IGNORECASE)
FUZZY_THRESHOLD = 0.95
"""About one character edit in twenty: typos and small slips pass, a changed word does not
(blue → grey in a seven-word quote scores 0.92)."""
_DROP = str.maketrans(string.punctuation + "“”‘’–—…", " " * (len(string.punctuation) + 7))


def normalise(text: str) -> str:
    return " ".join(text.casefold().translate(_DROP).split())


def _fuzzy_in(quote: str, passage: str) -> bool:
    words, size = passage.split(), len(quote.split())
    if size == 0 or not words:
        return False
    for width in {max(1, size - 1), size, size + 1}:
        for start in range(0, max(1, len(words) - width + 1)):
            window = " ".join(words[start : start + width])
            if SequenceMatcher(None, quote, window, autojunk=False).ratio() >= FUZZY_THRESHOLD:
                return True
    return False


def verify(quote: str, passage: str | None, mode: QuoteMode) -> bool:
    """Whether one quote is found in the passage under ``mode``."""
    if not passage or mode == "off":
        return False
    q, p = normalise(quote), normalise(passage)
    if not q:
        return False
    return q in p if mode == "strict" else (q in p or _fuzzy_in(q, p))


@dataclass(frozen=True)
class Quote:
    text: str
    verified: bool


def find_quotes(text: str, passage: str | None, mode: QuoteMode) -> list[Quote]:
    """Every ``<quote>`` in a turn, checked."""
    return [
        Quote(m.group(1).strip(), verify(m.group(1), passage, mode)) for m in QUOTE.finditer(text)
    ]


def counts(text: str, passage: str | None, mode: QuoteMode) -> dict[str, int]:
    """What a turn's ``meta["quotes"]`` records."""
    quotes = find_quotes(text, passage, mode)
    verified = sum(q.verified for q in quotes)
    return {"verified": verified, "unverified": len(quotes) - verified}


def mark(text: str, passage: str | None, mode: QuoteMode) -> str:
    """The turn as the judge reads it: each quote wrapped as verified or unverified."""
    if mode == "off":
        return text

    def tag(match: re.Match[str]) -> str:
        inner = match.group(1)
        kind = "v_quote" if verify(inner, passage, mode) else "u_quote"
        return f"<{kind}>{inner}</{kind}>"

    return QUOTE.sub(tag, text)


JUDGE_NOTE = (
    "(Quotes marked <v_quote>…</v_quote> were checked and found in the source text; "
    "quotes marked <u_quote>…</u_quote> were not found in it.)"
)
"""Put before a marked transcript so the judge knows what the marks mean."""
