"""Private scratchpads for arguers (option ``scratchpad``): an arguer may think inside
``<scratchpad>…</scratchpad>``; the turn keeps its whole reply (``content``) and the private
text in ``meta.scratchpad``, and every transcript shown to a judge, an opponent or the arguer
itself later shows only what is outside the scratchpad.

Rules: tags are matched case-insensitively; several scratchpads in one reply are all private
(joined by a blank line in ``meta.scratchpad``); an opened scratchpad never closed is private to
the end of the reply (a reply cut off by ``max_tokens`` leaks nothing). Only turns that carry
``meta.scratchpad`` are stripped, so a transcript run without the option reads as it was
written. A provider's own reasoning channel is never part of ``content`` at all, so it is hidden
from other seats whether or not this option is on.
"""

from __future__ import annotations

import re
from typing import Any

from ..providers import Message
from ..records import Turn

SCRATCHPAD = "scratchpad"
"""The ``meta`` key holding a turn's private text (empty when the arguer wrote none)."""
_PAD = re.compile(r"<scratchpad>(.*?)(?:</scratchpad>|\Z)", re.IGNORECASE | re.DOTALL)
_STRAY_CLOSE = re.compile(r"</scratchpad>", re.IGNORECASE)

INSTRUCTION = (
    "You have a private scratchpad: anything you write inside <scratchpad></scratchpad> is "
    "seen by nobody else (not the judge, not your opponent). Think there first if it helps; "
    "only the text outside it is your speech."
)


def split(text: str) -> tuple[str, str]:
    """(public text, private text) of a reply."""
    private = [m.group(1).strip() for m in _PAD.finditer(text)]
    public = _STRAY_CLOSE.sub("", _PAD.sub("", text))
    return re.sub(r"[ \t]{2,}", " ", public).strip(), "\n\n".join(p for p in private if p)


def public(turn: Turn) -> str:
    """What others are shown of a turn: without its scratchpad when it was run with one."""
    return split(turn.content)[0] if SCRATCHPAD in turn.meta else turn.content


def annotate(text: str) -> dict[str, Any]:
    """The turn meta of a reply written with a scratchpad: its private text."""
    return {SCRATCHPAD: split(text)[1]}


def with_instruction(messages: list[Message]) -> list[Message]:
    """The arguer's messages with the scratchpad explained, appended to the first message."""
    if not messages:
        return messages
    first = messages[0]
    return [Message(role=first.role, content=f"{first.content}\n{INSTRUCTION}"), *messages[1:]]
