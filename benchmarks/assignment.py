"""Study assignment under load: simulated annotators (threads sharing one store, as the
sessions of one app process share its cached store) ask `next_task` and `submit` until a study is full, on SQLite and on a
throwaway PostgreSQL server (tests/pg.py's). Prints latency p50/p99 per call and judgments per
second, and checks that every slot was filled exactly once.

    python -m benchmarks.assignment [--annotators 50] [--items 60] [--k 5] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel
from playground.store import Store
from playground.store import studies as db
from playground.studies import StudySpec, create_study, next_task, submit

TESTS = Path(__file__).resolve().parent.parent / "tests"


def logged_debate(store: Store, items: int, workdir: Path) -> str:
    """A scripted two-round debate over ``items`` two-answer questions, positions swapped."""
    data = workdir / "items.jsonl"
    data.write_text("".join(
        json.dumps({"id": f"q{i}", "question": f"Question {i}?", "answers": ["yes", "no"],
                    "correct": i % 2}) + "\n"
        for i in range(items)
    ))  # fmt: skip
    exp = parse_experiment({
        "name": "bench", "protocol": "debate", "dataset": str(data), "seed": 1, "concurrency": 16,
        "options": {"rounds": 2, "swap_positions": True},
        "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
    })  # fmt: skip
    models = {
        "debater_a": ScriptedModel(["I am right."]),
        "debater_b": ScriptedModel(["No, I am."]),
        "judge": ScriptedModel(["Answer: A\nConfidence: 70"]),
    }
    return asyncio.run(run_experiment(exp, store, models=models)).info.id


def annotate(
    store: Store, study_id: str, person: str
) -> tuple[list[float], list[float], list[str]]:
    """One annotator: next_task/submit until nothing is left for them."""
    asks, submits, done = [], [], []
    while True:
        t0 = time.perf_counter()
        view = next_task(store, study_id, person)
        asks.append(time.perf_counter() - t0)
        if view is None:
            return asks, submits, done
        t0 = time.perf_counter()
        submit(store, view.assignment_id, person, credences=[0.7, 0.3], rationale="b")
        submits.append(time.perf_counter() - t0)
        done.append(view.task_id)


def measure(url: str, annotators: int, items: int, k: int) -> dict[str, object]:
    store = Store(url)
    with tempfile.TemporaryDirectory() as tmp:
        run_id = logged_debate(store, items, Path(tmp))
    study_id = create_study(store, StudySpec(name="bench", runs=[run_id], k=k))
    people = [f"annotator{i}@bench.org" for i in range(annotators)]
    start = time.perf_counter()
    with ThreadPoolExecutor(annotators) as pool:
        results = list(pool.map(lambda p: annotate(store, study_id, p), people))
    wall = time.perf_counter() - start
    asks = np.array([a for r in results for a in r[0]]) * 1000
    subs = np.array([s for r in results for s in r[1]]) * 1000
    counts = Counter(t for r in results for t in r[2])
    slots = 2 * items * k
    filled = sum(counts.values())
    exact = set(counts.values()) == {k} and len(counts) == 2 * items
    assert filled == len(db.study_verdicts(store, study_id))
    return {
        "judgments": filled, "slots": slots, "exactly_k": exact,
        "next_p50": float(np.percentile(asks, 50)), "next_p99": float(np.percentile(asks, 99)),
        "submit_p50": float(np.percentile(subs, 50)), "submit_p99": float(np.percentile(subs, 99)),
        "per_s": filled / wall, "wall": wall,
    }  # fmt: skip


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str | None]:
    """tests/pg.py's server (unix socket only, stopped afterwards); None if not installed."""
    sys.path.insert(0, str(TESTS))
    try:
        import pg

        server = contextlib.contextmanager(pg.postgres_url.__wrapped__)()
        url = server.__enter__()
    except BaseException as exc:  # pytest.skip raises an Outcome, not an Exception
        print(f"PostgreSQL: not available ({exc})", file=sys.stderr)
        yield None
        return
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--items", type=int, default=60, help="questions (×2 positions = tasks)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--pg", help="a PostgreSQL URL; default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("sqlite", measure(f"sqlite:///{tmp}/bench.db", args.annotators, args.items,
                                       args.k)))  # fmt: skip
    if args.pg:
        rows.append(("postgresql", measure(args.pg, args.annotators, args.items, args.k)))
    elif not args.no_pg:
        with throwaway_postgres() as url:
            if url is not None:
                rows.append(("postgresql", measure(url, args.annotators, args.items, args.k)))
    print(f"{args.annotators} annotators (threads), {2 * args.items} tasks × k = {args.k}")
    print(f"{'store':<11} {'judgments':>9} {'exactly k':>9} {'next p50':>9} {'next p99':>9} "
          f"{'submit p50':>10} {'submit p99':>10} {'judgments/s':>11}")  # fmt: skip
    for name, r in rows:
        print(f"{name:<11} {r['judgments']:>9} {'yes' if r['exactly_k'] else 'NO':>9} "
              f"{r['next_p50']:>6.1f} ms {r['next_p99']:>6.1f} ms {r['submit_p50']:>7.1f} ms "
              f"{r['submit_p99']:>7.1f} ms {r['per_s']:>11.1f}")  # fmt: skip
    print("latencies are per call, milliseconds; compare stores within one run (machines vary)")


if __name__ == "__main__":
    main()
