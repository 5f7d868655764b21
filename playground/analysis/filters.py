"""Selecting a cohort: filters by run, tag, protocol, dataset, model and prompt version per role,
protocol option and run date, applied to loaded `Frames` (the page and ``playground report`` /
``export`` share them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .frame import Frames
from .parse import option_text


@dataclass
class Filters:
    """An empty field selects everything. Within a field values are alternatives (OR); fields
    combine with AND.

    - ``runs``: run ids; ``tags``: runs carrying any of these tags; ``exclude_tags``: drop runs
      carrying any of these;
    - ``protocols``, ``datasets``: the run's protocol, the verdict's dataset string;
    - ``models`` / ``prompts``: role → allowed model strings / prompt versions
      (``prompt_id@hash8``) from each verdict's provenance;
    - ``options``: option name → allowed values as JSON text (``2``, ``true``, ``"x"``);
    - ``since`` / ``until``: the run's creation date (UTC), inclusive.

    Turn aggregates (cost, tokens, latency) follow the runs that keep at least one verdict, and
    the ``models`` filter on the turn's own role and model; per-round readings and checks follow
    the transcripts of the kept verdicts.
    """

    runs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    models: dict[str, list[str]] = field(default_factory=dict)
    prompts: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    since: date | None = None
    until: date | None = None

    def is_empty(self) -> bool:
        return self == Filters()

    def describe(self) -> str:
        """One line naming the active filters, for report headers and file names."""
        parts = []
        for name in ("runs", "tags", "exclude_tags", "protocols", "datasets"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={','.join(values)}")
        for name in ("models", "prompts", "options"):
            for key, values in getattr(self, name).items():
                if values:
                    parts.append(f"{name[:-1]}.{key}={','.join(values)}")
        if self.since:
            parts.append(f"since={self.since}")
        if self.until:
            parts.append(f"until={self.until}")
        return "; ".join(parts) or "all verdicts"


def _isin(series: pd.Series, values: list[str]) -> pd.Series:
    return series.isin(list(values))


def select_runs(runs: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The runs passing the run-level filters (ids, tags, protocol, date)."""
    keep = pd.Series(True, index=runs.index)
    if f.runs:
        keep &= _isin(runs["run_id"], f.runs)
    if f.tags:
        keep &= runs["tags"].map(lambda tags: bool(set(tags) & set(f.tags)))
    if f.exclude_tags:
        keep &= ~runs["tags"].map(lambda tags: bool(set(tags) & set(f.exclude_tags)))
    if f.protocols:
        keep &= _isin(runs["protocol"], f.protocols)
    day = runs["created_at"].dt.date
    if f.since:
        keep &= day >= f.since
    if f.until:
        keep &= day <= f.until
    return runs[keep]


def apply(frames: Frames, f: Filters) -> Frames:
    """The frames restricted to the selection (see `Filters`)."""
    if f.is_empty():
        return frames
    runs = select_runs(frames.runs, f)
    v = frames.verdicts
    keep = _isin(v["run_id"], runs["run_id"].tolist())
    if f.datasets:
        keep &= _isin(v["dataset"], f.datasets)
    for kind, table in (("model", f.models), ("prompt", f.prompts), ("option", f.options)):
        for key, values in table.items():
            if values:
                column = f"{kind}.{key}"
                keep &= _isin(v[column], values) if column in v else False
    verdicts = v[keep].reset_index(drop=True)
    usage = frames.usage[_isin(frames.usage["run_id"], verdicts["run_id"].unique().tolist())]
    for role, models in f.models.items():
        if models:
            usage = usage[(usage["role"] != role) | _isin(usage["model"], models)]
    readings = frames.readings[
        _isin(frames.readings["transcript_id"], verdicts["transcript_id"].unique().tolist())
    ]
    return Frames(
        runs.reset_index(drop=True),
        verdicts,
        usage.reset_index(drop=True),
        readings.reset_index(drop=True),
        frames.roles,
        frames.options,
    )


def choices(frames: Frames) -> dict[str, Any]:
    """What each filter can choose from, for widgets and ``--help``-style listings."""
    v, runs = frames.verdicts, frames.runs

    def values(column: str) -> list[str]:
        return sorted(str(x) for x in v[column].dropna().unique()) if column in v else []

    dates = runs["created_at"].dt.date
    return {
        "runs": runs["run_id"].tolist(),
        "run_names": dict(zip(runs["run_id"], runs["run_name"], strict=True)),
        "tags": sorted({t for tags in runs["tags"] for t in tags}),
        "protocols": sorted(runs["protocol"].unique().tolist()),
        "datasets": values("dataset"),
        "models": {r: values(f"model.{r}") for r in frames.roles},
        "prompts": {r: values(f"prompt.{r}") for r in frames.roles},
        "options": {o: values(f"option.{o}") for o in frames.options},
        "dates": (dates.min(), dates.max()) if len(dates) else (None, None),
    }


def parse_assignments(pairs: tuple[str, ...] | list[str], what: str) -> dict[str, list[str]]:
    """``["judge=openai/x", "judge=local/y"]`` → ``{"judge": ["openai/x", "local/y"]}``."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{what}: expected NAME=VALUE, got {pair!r}")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def option_value(text: str) -> str:
    """A command-line option value as the JSON text the frame holds: ``3`` → ``3``,
    ``true`` → ``true``, ``simultaneous`` → ``"simultaneous"``."""
    try:
        return option_text(json.loads(text))
    except json.JSONDecodeError:
        return option_text(text)
