"""The ``variant_writer`` seat: writes the related statements a check instance leaves out
(a negation, paraphrases, A∧B, A∨B, B given A, a question paraphrase). Each is a turn with
``meta.kind = "variant"``, ``meta.key`` and the text used (``meta.text`` / ``meta.texts``), so
generated variants can be reviewed next to the answers they got."""

from __future__ import annotations

import re
from typing import Any

from ...prompts import get_prompt
from ..base import TranscriptContext
from .turns import VariantMeta

WRITER = "variant_writer"
VARIANT = "variant"
"""``meta.kind`` of a variant writer's turn."""
_PREFIX = re.compile(
    r"^\s*(?:[-*•]+|\d+[.):]|\(?\d+\))?\s*(?:(?:negation|paraphrase|statement|sentence|question)"
    r"(?:\s*\d+)?\s*[:：])?\s*",
    re.IGNORECASE,
)

TASKS: dict[str, str] = {
    "not_a": "consistency/write_negation",
    "paraphrases": "consistency/write_paraphrases",
    "a_and_b": "consistency/write_and",
    "a_or_b": "consistency/write_or",
    "b_given_a": "consistency/write_given",
    "question": "consistency/write_question",
}
"""What the writer can write → its prompt id."""


def clean_lines(text: str) -> list[str]:
    """A writer's reply as usable lines: bullets, numbering, labels and quotes removed."""
    out = []
    for line in text.splitlines():
        line = _PREFIX.sub("", line).strip().strip("\"'“”").strip()
        if line:
            out.append(line)
    return out


async def write(ctx: TranscriptContext, key: str, values: dict[str, Any], n: int = 1) -> list[str]:
    """Ask the writer for ``key`` (one of `TASKS`); the usable lines it wrote (at most ``n``),
    empty when it wrote nothing usable. Recorded on its turn."""
    prompt = get_prompt(TASKS[key])

    def texts(reply: str) -> dict[str, Any]:
        lines = clean_lines(reply)[:n]
        return {"texts": lines} if key == "paraphrases" else {"text": lines[0] if lines else None}

    turn = await ctx.call(
        WRITER,
        prompt.render(**values),
        prompt=prompt,
        meta={"kind": VARIANT, "key": key},
        annotate=texts,
    )
    return VariantMeta.model_validate(turn.meta).lines()
