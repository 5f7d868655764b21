"""The log as pandas tables for analysis, read with a few SQL queries (no `Record` objects), so
that 100k verdicts load in well under a second.

`load_frames` returns a `Frames`:

- ``runs``: one row per run (id, name, protocol, dataset, status, source, tags, created_at).
- ``verdicts``: one row per verdict, flat (columns in `VERDICT_COLUMNS` plus ``model.<role>``,
  ``prompt.<role>`` and ``option.<name>`` for every role and protocol option in the
  provenance, and ``item.<key>`` for every plain field of the items' ``meta``, e.g. QuALITY's
  ``item.article_id``). Only verdicts of a stored transcript, as in the JSONL export.
- ``usage``: turns aggregated per (run, role, model, latency bucket) in SQL (turns a fork or
  re-judge copied from its parent, ``meta.copied``, are not counted again): counts,
  token and cost sums and how many turns reported each. Latency bucket b holds
  ``floor(40·ln(latency_ms + 1)) = b``: 2.5% wide above a few ms, so quantiles read from them
  are within ~1.3%.
- ``readings``: turns whose ``meta`` is not empty (per-round credences, checks), one row each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ..store import Store
from ..store.bulk import Reader
from ..store.queries import reading_rows, run_rows, turn_models, usage_rows, verdict_rows
from .parse import (
    judge_label,
    parse_assignments,
    parse_credences,
    parse_item_meta,
    parse_metrics,
    parse_provenance,
    prompt_version,
)
from .turns import USAGE_COLUMNS, build_readings

VERDICT_COLUMNS = [
    "verdict_id", "run_id", "transcript_id", "item_id", "protocol", "run_name",
    "run_created_at", "verdict_role", "status", "choice", "is_correct", "correct", "n_shown",
    "first_shown", "shown", "shown_set", "swapped", "seats", "display_order", "correct_seat",
    "condition", "chose_first", "turn_index", "credences", "credence_correct",
    "credence_chosen", "credence_first", "dataset", "seed", "judge_model", "judge_prompt",
    "verdict_mode",
    "judge", "created_at", "parent_id", "subject", "item_key", "metrics", "check_family",
    "violation", "credence_shift", "n_unparseable",
]  # fmt: skip
"""The verdict frame's fixed columns (``metrics`` is the verdict's metrics JSON text, the next
four its consistency-check family, violation, credence shift and unparsed answers); ``seat.<role>`` (answer index the role defends),
``model.<role>``, ``prompt.<role>`` (``prompt_id@hash8``), ``option.<name>`` (JSON text) and
``item.<key>`` (an item metadata field as text, `parse_item_meta`) follow for every role,
option and field present. ``choice``/``is_correct``/``credence_*`` are null
unless the verdict is ok; ``chose_first`` is whether the choice is the first-shown answer;
``judge`` names the rater (verdict role, model, prompt version); ``item_key`` numbers the
distinct (dataset, item id) pairs (the bootstrap's clusters)."""


class Frames:
    """The analysis tables (see the module docstring). ``usage`` and ``readings`` may still be
    loading in a worker thread when the frames are returned: they are waited for on first
    use, so verdict metrics can be computed meanwhile."""

    def __init__(
        self,
        runs: pd.DataFrame,
        verdicts: pd.DataFrame,
        usage: pd.DataFrame | Future[pd.DataFrame],
        readings: pd.DataFrame | Future[pd.DataFrame],
        roles: list[str] | None = None,
        options: list[str] | None = None,
    ) -> None:
        self.runs = runs
        self.verdicts = verdicts
        self._usage = usage
        self._readings = readings
        self.roles = roles or []
        """Roles seen in any provenance, in first-seen order (``model.<role>`` columns)."""
        self.options = options or []
        """Protocol options seen (``option.<name>`` columns)."""

    @property
    def usage(self) -> pd.DataFrame:
        if isinstance(self._usage, Future):
            self._usage = self._usage.result()
        return self._usage

    @property
    def readings(self) -> pd.DataFrame:
        if isinstance(self._readings, Future):
            self._readings = self._readings.result()
        return self._readings

    def _resolve(self) -> None:
        _ = self.usage, self.readings

    def __getstate__(self) -> dict[str, Any]:  # pickled by st.cache_data: wait first
        self._resolve()
        return dict(self.__dict__)


CATEGORICAL = [
    "run_id", "protocol", "dataset", "run_name", "verdict_role", "status", "condition",
    "correct_seat", "judge_model", "judge_prompt", "judge", "shown", "shown_set",
]  # fmt: skip
"""Low-cardinality columns the metrics group by: kept as categoricals, so each is hashed once
here rather than in every groupby."""


def _categorical(values: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    return pd.Series(
        pd.Categorical.from_codes(codes, pd.Index(uniques, dtype=object)), index=values.index
    )


def _none_mask(values: np.ndarray) -> np.ndarray:
    return np.fromiter((v is None for v in values), dtype=bool, count=len(values))


def _datetimes(values: Iterable[Any]) -> pd.Series:
    """Datetimes as the database returns them → UTC timestamps. SQLite gives naive-UTC ISO text
    (parsed by numpy, fast); PostgreSQL gives aware datetimes (converted by pandas)."""
    values = np.asarray(
        list(values) if not isinstance(values, np.ndarray) else values, dtype=object
    )
    if all(v is None or (isinstance(v, str) and len(v) <= 26) for v in values[:1000]):
        try:
            parsed = np.where(_none_mask(values), "NaT", values).astype("datetime64[us]")
            return pd.Series(parsed).dt.tz_localize("UTC")
        except ValueError:
            pass
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"))


def load_runs(store: Store, conn: Reader) -> pd.DataFrame:
    cols = ["run_id", "run_name", "protocol", "dataset", "status", "source", "tags"]
    rows = run_rows(store, conn)
    names = [*cols, "created_at", "finished_at", "parent_kind"]
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    frame["tags"] = [tuple(json.loads(t)) if t else () for t in frame["tags"]]
    frame["created_at"] = _datetimes(frame["created_at"])
    frame["finished_at"] = _datetimes(frame["finished_at"])
    return frame


RAW_VERDICT = [
    "verdict_id", "run_id", "transcript_id", "item_id", "verdict_role", "status", "choice",
    "is_correct", "correct", "_assignment", "_credences", "turn_index", "_provenance",
    "created_at", "parent_id", "metrics", "_item_meta",
]  # fmt: skip
TEXT_VERDICT = ["question", "answers", "raw", "reason", "transcript_status", "transcript_error"]


def _columns(rows: list[tuple[Any, ...]], names: list[str]) -> dict[str, np.ndarray]:
    """Rows → one object array per column, without pandas' per-cell type inference."""
    if not rows:
        return {name: np.empty(0, dtype=object) for name in names}
    table = np.empty((len(rows), len(names)), dtype=object)
    table[:] = rows
    return dict(zip(names, table.T, strict=True))


def _nullable(values: np.ndarray, kind: type) -> pd.api.extensions.ExtensionArray:
    """An object array of ints or bools with None → pandas' nullable Int64 / boolean array
    (without its per-element inference)."""
    mask = _none_mask(values)
    data: np.ndarray = np.where(mask, 0, values).astype(kind)
    if kind is np.bool_:
        return pd.arrays.BooleanArray(data, mask)
    return pd.arrays.IntegerArray(data, mask)


def subjects(transcripts: np.ndarray, parents: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The transcript each verdict judges, for agreement: its own, except that a re-judge
    (a run made by ``playground rejudge``: the transcript copied whole under a new id, with
    ``parent_id``) judges its parent's, followed up the chain to the first one."""
    parent_of = {
        t: p
        for t, p, k in zip(transcripts, parents, kinds, strict=True)
        if k == "rejudge" and p is not None
    }
    if not parent_of:
        return transcripts
    out = transcripts.copy()
    for i, t in enumerate(transcripts):
        seen = {t}
        while t in parent_of and parent_of[t] not in seen:
            t = parent_of[t]
            seen.add(t)
        out[i] = t
    return out


def build_verdicts(
    rows: list[tuple[Any, ...]],
    runs: pd.DataFrame,
    text: bool = False,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Raw verdict rows → the flat verdict frame, parsing each distinct JSON text once; sorted
    as the JSONL export is (verdict creation time, then id)."""
    raw = _columns(rows, RAW_VERDICT + (TEXT_VERDICT if text else []))
    created, ids = raw["created_at"], raw["verdict_id"]
    in_order = len(ids) < 2 or bool(
        np.all(
            (created[1:] > created[:-1]) | ((created[1:] == created[:-1]) & (ids[1:] > ids[:-1]))
        )
    )
    if not in_order:  # rows usually arrive in insertion order, which is log order
        order = np.lexsort((ids.astype(str), created.astype(str)))
        raw = {name: values[order] for name, values in raw.items()}
    out = pd.DataFrame(
        {
            name: pd.Series(raw[name], dtype=object)
            for name in ("verdict_id", "run_id", "transcript_id", "item_id")
        }
    )
    run_cols = runs.set_index("run_id")[["protocol", "dataset", "run_name", "created_at"]]
    joined = run_cols.reindex(out["run_id"]).reset_index(drop=True)
    out["protocol"] = joined["protocol"]
    out["run_name"] = joined["run_name"]
    out["run_created_at"] = joined["created_at"]
    out["verdict_role"] = pd.Series(raw["verdict_role"], dtype=object)
    out["status"] = pd.Series(raw["status"], dtype=object)
    out["choice"] = _nullable(raw["choice"], np.int64)
    out["is_correct"] = _nullable(raw["is_correct"], np.bool_)
    out["correct"] = _nullable(raw["correct"], np.int64)
    assignments = parse_assignments(raw["_assignment"], out["correct"], out["protocol"])
    out = pd.concat([out, assignments], axis=1)
    ok = (out["status"] == "ok").to_numpy()
    chose = out["choice"].to_numpy(dtype=float, na_value=np.nan) == out["first_shown"].to_numpy(
        dtype=float, na_value=np.nan
    )
    out["chose_first"] = pd.array(np.where(ok, chose, None), dtype="boolean")
    credences = parse_credences(
        raw["_credences"], out["correct"], out["choice"], out["first_shown"]
    )
    out["turn_index"] = _nullable(raw["turn_index"], np.int64)
    provenance, roles, options = parse_provenance(raw["_provenance"], raw["verdict_role"])
    provenance["dataset"] = provenance["dataset"].fillna(joined["dataset"])
    out = pd.concat([out, credences, provenance], axis=1)
    dataset_codes = pd.factorize(out["dataset"].to_numpy(dtype=object))[0].astype(np.int64)
    item_codes, items = pd.factorize(out["item_id"].to_numpy(dtype=object))
    out["item_key"] = pd.factorize(dataset_codes * (len(items) + 1) + item_codes)[0]
    out["created_at"] = _datetimes(raw["created_at"])
    out["parent_id"] = pd.Series(raw["parent_id"], dtype=object)
    kinds = runs.set_index("run_id")["parent_kind"].reindex(out["run_id"]).to_numpy()
    subject = subjects(out["transcript_id"].to_numpy(object), out["parent_id"].to_numpy(), kinds)
    out["subject"] = pd.Series(subject, dtype=object)
    out = pd.concat(
        [out, parse_metrics(raw["metrics"]), parse_item_meta(raw["_item_meta"])], axis=1
    )
    if text:
        for name in TEXT_VERDICT:
            out[name] = pd.Series(raw[name], dtype=object)
    return out, roles, options


def _judges_from_turns(store: Store, conn: Reader, verdicts: pd.DataFrame) -> None:
    """A verdict whose role has no seat in its provenance (amplification's ``direct`` answer)
    takes its judge's model and prompt from the turn that produced it."""
    missing = verdicts["judge_model"].isna() & verdicts["turn_index"].notna()
    if not missing.any():
        return
    wanted = verdicts.loc[missing, ["transcript_id", "turn_index"]]
    found = {
        (tid, idx): (model, prompt_version({"prompt_id": pid, "prompt_hash": digest}))
        for tid, idx, model, pid, digest in turn_models(
            store, conn, wanted["transcript_id"].unique().tolist()
        )
    }
    for i, tid, idx in zip(
        wanted.index, wanted["transcript_id"], wanted["turn_index"], strict=True
    ):
        model, prompt = found.get((tid, int(idx)), (None, None))
        role = verdicts.at[i, "verdict_role"]
        verdicts.at[i, "judge_model"] = model
        verdicts.at[i, "judge_prompt"] = prompt
        verdicts.at[i, "judge"] = judge_label(role, model, prompt)


def load_frames(
    store: Store,
    run_ids: Sequence[str] | None = None,
    *,
    text: bool = False,
    turns: bool = True,
) -> Frames:
    """Read the log (every run, or only ``run_ids``) into analysis frames; ``text`` adds the
    export's text columns to the verdicts, ``turns=False`` skips the turn aggregates and
    readings (left empty).

    The turn aggregates run on their own connection in a worker thread while the verdicts are
    read, parsed and analysed (SQLite aggregates with the GIL released); ``usage`` and
    ``readings`` wait for them on first use.
    """
    ids = list(run_ids) if run_ids is not None else None

    def usage() -> pd.DataFrame:
        rows = usage_rows(store, ids) if turns else []
        table = pd.DataFrame(rows, columns=USAGE_COLUMNS, dtype=object)
        for name in ("input_tokens", "output_tokens", "cost_usd", "latency_ms", "bucket"):
            table[name] = pd.to_numeric(table[name]).astype(float)
        for name in ("turns", "errors", "with_input", "with_output", "with_cost", "with_latency"):
            table[name] = pd.to_numeric(table[name]).astype(np.int64)
        return table

    def readings() -> pd.DataFrame:
        return build_readings(reading_rows(store, ids) if turns else [])

    pending_usage, pending_readings = _WORKERS.submit(usage), _WORKERS.submit(readings)
    with Reader(store) as conn:
        runs = load_runs(store, conn)
        rows = verdict_rows(store, conn, ids, text)
    verdicts, roles, options = build_verdicts(rows, runs, text)
    if (verdicts["judge_model"].isna() & verdicts["turn_index"].notna()).any():
        with Reader(store) as conn:
            _judges_from_turns(store, conn, verdicts)
    for name in CATEGORICAL + [
        c for c in verdicts.columns if c.split(".")[0] in ("model", "prompt", "option", "item")
    ]:
        verdicts[name] = _categorical(verdicts[name])
    if ids is not None:
        runs = runs[runs["run_id"].isin(ids)].reset_index(drop=True)
    return Frames(runs, verdicts, pending_usage, pending_readings, roles, options)


_WORKERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playground-frames")
"""Reads the turn aggregates, then the readings, while the caller reads and analyses the
verdicts (one worker: with two cores, a third busy thread only slows the other two)."""
