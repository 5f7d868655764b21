"""Pick a built-in question dataset and one of its questions (Debate, Amplification and the
Prompts preview share it)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.datasets import Dataset, DatasetError, list_builtins, load_dataset
from playground.records import Item
from playground.safetext import md_prose


@st.cache_resource(show_spinner=False)
def dataset(ref: str) -> Dataset:
    """A built-in dataset, loaded once per server (seed 0, so every session sees the same)."""
    return load_dataset(ref, seed=0)


def pick_question(
    where: Any, prefix: str, *, label: str = "Question", describe: bool = False
) -> tuple[str, Item] | None:
    """Two select boxes in ``where`` (keys ``{prefix}dataset`` and ``{prefix}{ref}.item``);
    the dataset reference and the chosen item, or None after showing why the dataset could
    not load."""
    refs = list_builtins("questions")
    ref = where.selectbox("Dataset", list(refs), key=f"{prefix}dataset")
    if describe:
        where.caption(refs[ref])
    try:
        items = dataset(ref).items
    except DatasetError as exc:
        where.error(md_prose(str(exc)))
        return None
    by_id = {item.id: item for item in items}
    item_id = where.selectbox(
        label,
        list(by_id),
        key=f"{prefix}{ref}.item",
        format_func=lambda i: f"{i} · {by_id[i].question[:80]}",
    )
    return ref, by_id[item_id]
