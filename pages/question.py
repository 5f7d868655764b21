"""Pick a question dataset (built-in, or a local file under the allowed data directories) and
one of its questions (Debate, Amplification and the Prompts preview share it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from pages.local_data import pick_local_file
from playground.datasets import Dataset, DatasetError, list_builtins, load_dataset
from playground.records import Item
from playground.safetext import md_prose

BUILT_IN, LOCAL = "Built-in", "Local file"


@st.cache_resource(show_spinner=False, max_entries=16)
def dataset(ref: str, stamp: float | None = None) -> Dataset:
    """A dataset, loaded once per server and file version (seed 0, so every session sees the
    same); a file is read only under the allowed data directories (``page=True``)."""
    return load_dataset(ref, seed=0, page=True)


def _stamp(ref: str) -> float | None:
    """The file's modification time, so an edited file is read again (None for built-ins)."""
    path = Path(ref.partition(":")[2] if ":" in ref else ref).expanduser()
    path = Path(str(path).partition("?")[0])
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def pick_question(
    where: Any, prefix: str, *, label: str = "Question", describe: bool = False
) -> tuple[str, Item] | None:
    """A source choice and select boxes in ``where`` (keys ``{prefix}source``,
    ``{prefix}dataset`` and ``{prefix}{ref}.item``); the dataset reference and the chosen
    item, or None after showing why the dataset could not load."""
    source = where.radio("Source", (BUILT_IN, LOCAL), key=f"{prefix}source", horizontal=True)
    if source == LOCAL:
        ref = pick_local_file(where, prefix)
        if ref is None:
            return None
    else:
        refs = list_builtins("questions")
        ref = where.selectbox("Dataset", list(refs), key=f"{prefix}dataset")
        if describe:
            where.caption(refs[ref])
    try:
        data = dataset(ref, None if ref.startswith("builtin:") else _stamp(ref))
    except DatasetError as exc:
        where.error(md_prose(str(exc)))
        return None
    if source == LOCAL and describe:
        where.caption(md_prose(data.description))
    by_id = {item.id: item for item in data.items}
    item_id = where.selectbox(
        label,
        list(by_id),
        key=f"{prefix}{ref}.item",
        format_func=lambda i: f"{i} · {by_id[i].question[:80]}",
    )
    return ref, by_id[item_id]
