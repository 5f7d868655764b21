"""Turning the JSON columns of verdict rows into flat columns, parsing each distinct text once
(a run's provenance and assignments repeat on every verdict, so there are few of them)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..protocols.reading import MetricColumns, measurement


def _codes(values: Any) -> tuple[np.ndarray, list[Any]]:
    """Like `pd.factorize` (-1 for None), but hashes only values that differ from the previous
    row: neighbouring verdicts mostly share a run's provenance, and hashing every copy of a
    kilobyte of JSON is what costs."""
    arr = np.asarray(values, dtype=object)
    if not len(arr):
        return np.zeros(0, dtype=np.int64), []
    change = np.ones(len(arr), dtype=bool)
    change[1:] = arr[1:] != arr[:-1]
    sub_codes, uniques = pd.factorize(arr[change], use_na_sentinel=True)
    return sub_codes[np.cumsum(change) - 1], list(uniques)


def _take(rows: list[dict[str, Any]], codes: np.ndarray, columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame([*rows, {}], columns=columns, dtype=object)  # code -1 takes the {}
    return table.iloc[np.where(codes < 0, len(rows), codes)].reset_index(drop=True)


def condition_of(
    protocol: str, seats: dict[str, int], correct: int | None
) -> tuple[str, str | None]:
    """(condition, correct_seat) of a verdict from its assignment (when the assignment names
    its ``condition``, as consultancy's does, the condition is "<protocol> · <that>" instead).

    *correct_seat*: the roles defending the correct answer, comma-joined ("none" if no seat
    does; None when the protocol seats nobody). *condition*: the protocol's name when the seats
    defend both the correct and an incorrect answer (debate); when every seat defends the
    correct answer it is "<protocol> · correct-assigned", when none does
    "<protocol> · incorrect-assigned" (consultancy's two halves).
    """
    if not seats or correct is None:
        return protocol, None
    honest = sorted(role for role, answer in seats.items() if answer == correct)
    if len(honest) == len(seats):
        return f"{protocol} · correct-assigned", ", ".join(honest)
    if not honest:
        return f"{protocol} · incorrect-assigned", "none"
    return protocol, ", ".join(honest)


ASSIGNMENT_COLUMNS = [
    "n_shown", "first_shown", "shown", "shown_set", "swapped", "seats", "display_order", "correct_seat",
    "condition",
]  # fmt: skip


def parse_assignments(texts: Any, correct: pd.Series, protocol: pd.Series) -> pd.DataFrame:
    """Assignment JSON (+ the item's correct index and the protocol) → `ASSIGNMENT_COLUMNS`
    and ``seat.<role>`` (the answer index each seated role defends).

    ``shown`` is the display order as text ("1,0"); ``shown_set`` the same indices sorted
    ("0,1"), which a question and its position-swapped copy share."""
    a_codes = _codes(texts)[0].astype(np.int64) + 1
    c_codes = correct.to_numpy(dtype=float, na_value=-1).astype(np.int64) + 1
    p_codes, _ = pd.factorize(np.asarray(protocol, dtype=object))
    span_c = int(c_codes.max(initial=0)) + 1
    key = (a_codes * span_c + c_codes) * (int(p_codes.max(initial=0)) + 1) + p_codes
    groups, uniques = pd.factorize(key)
    firsts = np.zeros(len(uniques), dtype=np.int64)
    firsts[groups[::-1]] = np.arange(len(groups))[::-1]  # first row of each group
    texts = np.asarray(texts, dtype=object)
    protocols = np.asarray(protocol, dtype=object)
    rows = []
    seat_roles: dict[str, None] = {}
    for position in firsts:
        text, c, proto = texts[position], correct.iloc[position], protocols[position]
        data = json.loads(text) if isinstance(text, str) else (text or {})
        order = [int(i) for i in data.get("display_order") or []]
        seats = {str(k): int(x) for k, x in (data.get("seats") or {}).items()}
        cond, seat = condition_of(str(proto), seats, None if pd.isna(c) else int(c))
        if data.get("condition"):  # the protocol's own name for it wins
            cond = f"{proto} · {data['condition']}"
        seat_roles.update(dict.fromkeys(seats))
        rows.append(
            {
                "n_shown": len(order),
                "first_shown": order[0] if order else None,
                "shown": ",".join(str(i) for i in order),
                "shown_set": ",".join(str(i) for i in sorted(order)),
                "swapped": bool(data.get("swapped", False)),
                "seats": seats,
                "display_order": order,
                "correct_seat": seat,
                "condition": cond,
                **{f"seat.{role}": answer for role, answer in seats.items()},
            }
        )
    columns = ASSIGNMENT_COLUMNS + [f"seat.{role}" for role in seat_roles]
    out = _take(rows, groups, columns)
    for name in ["n_shown", "first_shown", *columns[len(ASSIGNMENT_COLUMNS) :]]:
        out[name] = pd.array(out[name], dtype="Int64")
    out["swapped"] = out["swapped"].astype(bool)
    return out


def parse_credences(
    texts: Any, correct: pd.Series, choice: pd.Series, first: pd.Series
) -> pd.DataFrame:
    """Credence JSON lists → the list itself and the credence on the correct answer, on the
    chosen answer and on the first-shown answer (nan where missing)."""
    codes, uniques = _codes(texts)
    lists = [json.loads(u) if isinstance(u, str) else u for u in uniques]
    lists = [[float(x) for x in v] if isinstance(v, list) else None for v in lists]
    width = max((len(v) for v in lists if v), default=1)
    matrix = np.full((len(lists) + 1, width), np.nan)
    for i, v in enumerate(lists):
        if v:
            matrix[i, : len(v)] = v
    rows = matrix[np.where(codes < 0, len(lists), codes)]

    def pick(index: pd.Series) -> np.ndarray:
        idx = index.to_numpy(dtype=float, na_value=np.nan)
        valid = ~np.isnan(idx) & (idx >= 0) & (idx < width)
        out = np.full(len(idx), np.nan)
        pos = np.flatnonzero(valid)
        out[pos] = rows[pos, idx[pos].astype(int)]
        return out

    objects = np.empty(len(lists) + 1, dtype=object)
    objects[: len(lists)] = lists
    return pd.DataFrame(
        {
            "credences": objects[np.where(codes < 0, len(lists), codes)],
            "credence_correct": pick(correct),
            "credence_chosen": pick(choice),
            "credence_first": pick(first),
        }
    )


def prompt_version(role: dict[str, Any]) -> str | None:
    """``prompt_id@hash8``: a prompt id and the first 8 hex digits of its content hash."""
    pid, digest = role.get("prompt_id"), role.get("prompt_hash")
    if pid and digest:
        return f"{pid}@{digest[:8]}"
    return pid or (digest[:8] if digest else None)


def judge_label(
    verdict_role: str, model: str | None, prompt: str | None, mode: str | None = None
) -> str:
    """A rater's name: its model, prompt version and verdict mode (when not the default
    ``stated``), prefixed by the role unless it is ``judge``. A judge read in two modes is
    so two raters: calibration, Brier and position bias are per mode, and a re-judge in
    another mode is compared in the agreement section."""
    mode = f"{mode} mode" if mode and mode != "stated" else None
    label = " · ".join(x for x in (model or "unknown model", prompt, mode) if x)
    return label if verdict_role == "judge" else f"{verdict_role}: {label}"


def option_text(value: Any) -> str:
    """An option value as filterable text: JSON, so 2, true and "x" stay distinct."""
    return json.dumps(value, sort_keys=True)


def parse_provenance(texts: Any, verdict_roles: Any) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Provenance JSON (+ the verdict's role) → dataset, seed, ``model.<role>``,
    ``prompt.<role>``, ``option.<name>``, and the deciding judge's model, prompt and label."""
    p_codes, p_uniques = _codes(texts)
    parsed = [json.loads(u) if isinstance(u, str) else (u or {}) for u in p_uniques]
    r_codes, r_uniques = _codes(verdict_roles)
    combo, combos = pd.factorize(p_codes.astype(np.int64) * (len(r_uniques) + 1) + r_codes)
    roles: dict[str, None] = {}
    options: dict[str, None] = {}
    for prov in parsed:
        roles.update(dict.fromkeys(prov.get("roles", {})))
        options.update(dict.fromkeys(prov.get("options", {})))
    rows = []
    for value in combos:
        p, r = divmod(int(value), len(r_uniques) + 1)
        prov = parsed[p] if p >= 0 else {}
        verdict_role = str(r_uniques[r]) if 0 <= r < len(r_uniques) else "judge"
        row: dict[str, Any] = {"dataset": prov.get("dataset"), "seed": prov.get("seed")}
        for role, info in prov.get("roles", {}).items():
            row[f"model.{role}"] = info.get("model")
            row[f"prompt.{role}"] = prompt_version(info)
        for name, value_ in prov.get("options", {}).items():
            row[f"option.{name}"] = option_text(value_)
        judge = prov.get("roles", {}).get(verdict_role, {})
        row["judge_model"] = judge.get("model")
        row["judge_prompt"] = prompt_version(judge) if judge else None
        mode = (judge.get("params") or {}).get("verdict_mode") or ("stated" if judge else None)
        row["verdict_mode"] = mode
        row["judge"] = judge_label(verdict_role, row["judge_model"], row["judge_prompt"], mode)
        rows.append(row)
    columns = ["dataset", "seed", "judge_model", "judge_prompt", "judge", "verdict_mode"]
    columns += [f"{kind}.{role}" for kind in ("model", "prompt") for role in roles]
    columns += [f"option.{name}" for name in options]
    out = _take(rows, combo, columns)
    out["seed"] = pd.array(out["seed"], dtype="Int64")
    return out, list(roles), list(options)


METRIC_COLUMNS = ["metrics", "check_family", "violation", "credence_shift", "n_unparseable"]


def parse_metrics(texts: Any) -> pd.DataFrame:
    """Verdict metrics JSON → the JSON text itself (null → None) and the columns analysis groups
    on, as the protocol's metrics model gives them (`Measurement.columns`: a consistency
    check's family, violation, credence shift, answers that did not parse). Verdicts without
    metrics, or whose metrics no registered model reads, get None / nan."""
    codes, uniques = _codes(texts)
    rows: list[tuple[Any, ...]] = []
    for u in uniques:
        m = json.loads(u) if isinstance(u, str) else u
        if not isinstance(m, dict):
            rows.append((None, None, np.nan, np.nan, np.nan))
            continue

        found = measurement(m)
        columns = found.columns() if found is not None else MetricColumns()
        nums = (columns.violation, columns.credence_shift, columns.n_unparseable)
        floats = [np.nan if x is None else float(x) for x in nums]
        rows.append((u if isinstance(u, str) else json.dumps(u), columns.family, *floats))
    rows.append((None, None, np.nan, np.nan, np.nan))  # code -1
    table = np.empty((len(rows), 5), dtype=object)
    table[:] = rows
    picked = table[codes]
    out = pd.DataFrame({name: picked[:, i] for i, name in enumerate(METRIC_COLUMNS)})
    for name in ("violation", "credence_shift", "n_unparseable"):
        out[name] = out[name].astype(float)
    return out


ITEM_PREFIX = "item."
"""Verdict-frame columns holding an item's metadata field: ``item.<key>``."""


def parse_item_meta(texts: Any) -> pd.DataFrame:
    """Item ``meta`` JSON → one ``item.<key>`` column per key holding a plain value (text,
    number, true/false) in any item, as text (numbers and booleans as JSON: ``1``, ``true``);
    None where an item lacks the key. Nested values (a consistency check, an answer order) are
    left out: they are not fields to group or cluster by."""
    codes, uniques = _codes(texts)
    keys: dict[str, None] = {}
    rows = []
    for u in uniques:
        meta = json.loads(u) if isinstance(u, str) else u
        row = {}
        if isinstance(meta, dict):
            for key, value in meta.items():
                if isinstance(value, str):
                    row[ITEM_PREFIX + key] = value
                elif isinstance(value, int | float | bool) and value is not None:
                    row[ITEM_PREFIX + key] = json.dumps(value)
        keys.update(dict.fromkeys(row))
        rows.append(row)
    return _take(rows, codes, list(keys))
