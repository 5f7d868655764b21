"""The one exception every dataset problem raises: a single line naming where and what."""

from __future__ import annotations


class DatasetError(ValueError):
    """A dataset reference, file, line or parameter is wrong.

    The message is always one line (newlines are folded into spaces) so that a CLI, a page or a
    log can show it as is, e.g. ``data.jsonl line 7: field 'correct': 3 is out of range for 2
    answers``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split("\n")))
