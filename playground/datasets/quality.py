"""QuALITY (Pang et al. 2022) from its JSONL release, as Khan et al. 2024 debate it:
``quality:<file>[?difficult=1]``.

Each line of ``QuALITY.v1.0.1[.htmlstripped].{train,dev}`` is one article with the questions one
writer wrote for it: ``article_id``, ``set_unique_id``, ``title``, ``article`` (HTML, or plain
text in the ``htmlstripped`` files) and ``questions``, each with ``question``, ``options`` (four),
``gold_label`` (1-based index into ``options``), ``difficult`` (1 = the hard subset: most speed
annotators got it wrong) and ``question_unique_id``. One item per question: the passage is the
article; ``difficult=1`` keeps the hard subset, ``difficult=0`` the rest. The test split has no
``gold_label`` and is refused.
"""

from __future__ import annotations

import json
from typing import Any

from ..records import Item
from .errors import DatasetError
from .params import Params
from .sources import answers_of, existing, read_text, text_of, unique


def load_quality(path: str, params: Params) -> list[Item]:
    difficult = params.choice("difficult", default="any", options=("any", "0", "1"))
    params.finish()
    file = existing(path, "QuALITY JSONL file")
    found: list[tuple[Item, str]] = []
    for number, line in enumerate(read_text(file, path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            article = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(article, dict):
            raise DatasetError(f"{where}: expected a JSON object (one article), got {line[:20]!r}")
        found += _items(article, where, difficult)
    if not found:
        subset = {"1": " in the hard subset", "0": " outside the hard subset"}.get(difficult, "")
        raise DatasetError(f"{path}: no questions{subset}")
    return unique(found, path)


def _items(article: dict[str, Any], where: str, difficult: str) -> list[tuple[Item, str]]:
    article_id = text_of(article.get("article_id"), where, "article_id")
    passage = text_of(article.get("article"), where, "article")
    questions = article.get("questions")
    if not isinstance(questions, list) or not questions:
        raise DatasetError(f"{where}: field 'questions' must be a non-empty list")
    out = []
    for n, q in enumerate(questions, start=1):
        at = f"{where} question {n}"
        if not isinstance(q, dict):
            raise DatasetError(f"{at}: expected an object with question, options, gold_label")
        hard = q.get("difficult")
        if hard not in (0, 1) or isinstance(hard, bool):
            raise DatasetError(f"{at}: field 'difficult' must be 0 or 1, got {hard!r}")
        if difficult != "any" and hard != int(difficult):
            continue
        question = text_of(q.get("question"), at, "question")
        options = q.get("options")
        if not isinstance(options, list):
            raise DatasetError(f"{at}: field 'options' must be a list of answers")
        answers = answers_of(options, at, lambda i: f"options[{i}]")
        gold = q.get("gold_label")
        if gold is None:
            raise DatasetError(f"{at}: field 'gold_label' is missing (the test split has none)")
        if not isinstance(gold, int) or isinstance(gold, bool) or not 1 <= gold <= len(answers):
            raise DatasetError(
                f"{at}: field 'gold_label' must be 1 to {len(answers)} (1-based), got {gold!r}"
            )
        set_id = str(article.get("set_unique_id") or article_id)
        item_id = str(q.get("question_unique_id") or f"{set_id}_{n}")
        meta = {
            "source": "quality",
            "article_id": article_id,
            "set_unique_id": set_id,
            "title": article.get("title"),
            "difficult": hard,
        }
        item = Item(
            id=item_id,
            question=question,
            answers=answers,
            correct=gold - 1,
            passage=passage,
            meta={k: v for k, v in meta.items() if v is not None},
        )
        out.append((item, at))
    return out
