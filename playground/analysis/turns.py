"""The turn side of the analysis frames: usage aggregated in SQL (tokens, cost, a latency
histogram) and the turns whose ``meta`` records per-round judgements or checks."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..store.queries import BUCKETS_PER_E, USAGE_COLUMNS

__all__ = ["BUCKETS_PER_E", "USAGE_COLUMNS", "build_readings"]


def build_readings(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Turns with a non-empty ``meta`` (copied ones excepted: they repeat their parent's):
    per-round judgements and check outcomes.

    - A *per-round reading* is a turn with a ``round`` whose meta has ``credences`` (one per
      answer, ``answers`` order) and/or, as ``judge_each_round`` records it,
      ``kind = "interim"`` with ``status``, ``choice`` and ``credences``. Columns ``choice``
      (only when status is ok or absent), ``credences``, ``credence_correct``, ``status``.
    - A *check* is a turn whose meta names ``check`` (amplification: ``justification``,
      ``resample``, ``direct``; a consistency check: ``consistency``). Its outcome is failed
      when ``flagged`` is true or ``passed`` is false; ``status`` other than ok means it could
      not be read. ``family`` is meta ``family``, else ``depth <n>`` from meta ``depth``.
    """
    cols = ["run_id", "transcript_id", "index", "role", "round", "model", "correct", "_meta"]
    raw = pd.DataFrame(rows, columns=cols, dtype=object)
    metas = [json.loads(m) if m else {} for m in raw.pop("_meta")]
    metas = [m if isinstance(m, dict) else {} for m in metas]
    keep = np.array([not m.get("copied") for m in metas], dtype=bool)
    raw = raw[keep].reset_index(drop=True)
    metas = [m for m, k in zip(metas, keep, strict=True) if k]
    raw["index"] = raw["index"].astype(int)
    raw["round"] = pd.array(raw["round"], dtype="Int64")
    raw["correct"] = pd.array(raw["correct"], dtype="Int64")
    creds = [c if isinstance(c := m.get("credences"), list) else None for m in metas]
    raw["credences"] = pd.Series(creds, index=raw.index, dtype=object)
    raw["credence_correct"] = pd.Series(
        [
            float(c[k]) if c is not None and k is not pd.NA and 0 <= k < len(c) else np.nan
            for c, k in zip(creds, raw["correct"], strict=True)
        ],
        index=raw.index,
        dtype=float,
    )
    raw["status"] = pd.Series([m.get("status") for m in metas], index=raw.index, dtype=object)
    raw["choice"] = pd.array(
        [
            m["choice"]
            if isinstance(m.get("choice"), int) and m.get("status", "ok") == "ok"
            else None
            for m in metas
        ],
        dtype="Int64",
    )
    raw["check"] = pd.Series([m.get("check") for m in metas], index=raw.index, dtype=object)
    raw["family"] = pd.Series([_family(m) for m in metas], index=raw.index, dtype=object)
    raw["failed"] = pd.array([_failed(m) for m in metas], dtype="boolean")
    return raw


def _failed(meta: dict[str, Any]) -> bool | None:
    if isinstance(meta.get("flagged"), bool):
        return meta["flagged"]
    if isinstance(meta.get("passed"), bool):
        return not meta["passed"]
    return None


def _family(meta: dict[str, Any]) -> str | None:
    if meta.get("family") is not None:
        return str(meta["family"])
    if meta.get("depth") is not None:
        return f"depth {meta['depth']}"
    return None
