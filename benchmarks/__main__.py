"""``python -m benchmarks`` (or ``make bench``): every benchmark, one after the other."""

import importlib
import sys

BENCHMARKS = [
    "benchmarks.startup",
    "benchmarks.debate_concurrency",
    "benchmarks.batch_engines",
    "benchmarks.analysis_scale",
    "benchmarks.assignment",
]

for name in BENCHMARKS:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        print(f"{name}: not available ({exc})", file=sys.stderr)
        continue
    print(f"== {name}")
    module.main([])
