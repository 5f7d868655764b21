"""Is the analysis interactive at 100k verdicts? Generates synthetic verdicts (20 runs of
swapped two-round debates with judge panels, per-round readings and checks: see
`benchmarks.synthetic`) into a temporary SQLite store, then times loading the frames and
computing every metric of the Analysis page and ``playground report`` (judge accuracy,
position bias, seat and round splits, agreement and kappas, Bradley–Terry boards with 200
bootstrap replicates, calibration, cost and latency, checks), median of several repeats.

Target: load + every metric < 2 s. Side by side, it times building `Record` objects for one
run (what the frames replace) and prints the ratio.

    python -m benchmarks.analysis_scale [--verdicts 100000] [--repeats 5] [--reps 200] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import count_rows, populate
from playground.analysis import build_report, load_frames
from playground.analysis.report import GENERIC
from playground.store import Store

TARGET_S = 2.0


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analysis_scale")
    parser.add_argument("--verdicts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reps", type=int, default=200, help="bootstrap replicates")
    parser.add_argument("--db", help="reuse (or create) this SQLite file instead of a temp one")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        fresh = not path.exists()
        store = Store(str(path))
        if fresh:
            written, seconds = timed(populate, store, args.verdicts)
            print(f"generated {written:,} verdicts in {seconds:.1f} s (bulk insert)")
        counts = count_rows(store)
        print("store: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))

        load = os.getloadavg()[0]  # other work on the machine slows the wall-clock figures
        loads, totals, cpu = [], [], []
        per_section: dict[str, list[float]] = {b.__name__.strip("_"): [] for b in GENERIC.values()}
        for _ in range(args.repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            frames = load_frames(store)
            loads.append(time.perf_counter() - start)
            build_report(frames, reps=args.reps)  # turn aggregates finish meanwhile
            totals.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
            for (
                build
            ) in GENERIC.values():  # each section again on the loaded frames, for the breakdown
                _, s = timed(build, frames, args.reps)
                per_section[build.__name__.strip("_")].append(s)
        median = statistics.median
        print(f"{len(frames.verdicts):,} verdicts, median of {args.repeats} repeats:")
        print(f"  verdict frame ready   {median(loads):6.3f} s  (turn aggregates still loading)")
        print(f"  load + every metric   {median(totals):6.3f} s  ", end="")
        verdict = "meets" if median(totals) < TARGET_S else "misses"
        print(f"({verdict} the {TARGET_S:.0f} s target)")
        print(
            f"  CPU time, both threads {median(cpu):6.3f} s  (1-min load average before: {load:.2f})"
        )
        print("  each section alone, frames loaded:")
        for name, values in per_section.items():
            print(f"    {name:<18}  {median(values):6.3f} s")
        print(f"    {'all':<18}  {sum(median(v) for v in per_section.values()):6.3f} s")

        run_id = str(frames.runs["run_id"].iloc[-1])
        n = int((frames.verdicts["run_id"] == run_id).sum())
        _, records_s = timed(lambda: list(store.iter_records(run_id)))
        _, frame_s = timed(load_frames, store, [run_id])
        print(
            f"one run of {n:,} verdicts: Record objects {records_s:.3f} s, frames {frame_s:.3f} s "
            f"({records_s / frame_s:.0f}x); at 100k verdicts Records alone would take "
            f"~{records_s * len(frames.verdicts) / n:.0f} s"
        )
        store.engine.dispose()


if __name__ == "__main__":
    main()
