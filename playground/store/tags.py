"""Run tags after the fact: free-form labels that group runs into cohorts for analysis."""

from __future__ import annotations

import sqlalchemy as sa

from . import Store
from .writes import retrying


def parse_tags(text: str) -> list[str]:
    """``"a, b,,a "`` → ``["a", "b"]``: comma-separated, trimmed, first occurrence kept."""
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


def set_run_tags(store: Store, run_id: str, tags: list[str]) -> None:
    """Replace a run's tags; a missing run is a `KeyError`."""

    def write() -> int:
        with store.engine.begin() as conn:
            done = conn.execute(
                sa.update(store.runs).where(store.runs.c.id == run_id).values(tags=list(tags))
            )
            return done.rowcount

    if retrying(store.writes, f"tags of run {run_id}", repr(store), write) == 0:
        raise KeyError(run_id)
