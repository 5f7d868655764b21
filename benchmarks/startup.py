"""Start-up: wall time of ``playground --help``, ``runs``, ``report --help`` and a one-item run
(a one-round debate against a loopback server, 3 calls of 1 ms), beside a bare ``import openai``,
each a fresh ``python`` process, measured interleaved in one run (median of --repeat)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.debate_concurrency import ROOT, start_server

EXPERIMENT = """name = "startup"
protocol = "debate"
dataset = "builtin:arithmetic?n=1"
options = {{ rounds = 1 }}
[roles.debater]
model = "openai/bench"
base_url = "{base_url}"
max_tokens = 40
[roles.judge]
model = "openai/bench"
base_url = "{base_url}"
max_tokens = 40
"""


def commands(experiment: Path) -> dict[str, list[str]]:
    cli = [sys.executable, "-m", "playground.cli"]
    return {
        "bare `import openai`": [sys.executable, "-c", "import openai"],
        "playground --help": [*cli, "--help"],
        "playground runs": [*cli, "runs"],
        "playground report --help": [*cli, "report", "--help"],
        "playground run (1 item, 3 calls)": [*cli, "run", str(experiment), "--no-cache"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command")
    args = parser.parse_args(argv)
    server, base_url = start_server(0.001)
    times: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            experiment = Path(tmp) / "startup.toml"
            experiment.write_text(EXPERIMENT.format(base_url=base_url))
            env = {**os.environ, "PLAYGROUND_DB": f"{tmp}/startup.db", "OPENAI_API_KEY": "sk-x"}
            env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
            for _ in range(args.repeat):  # interleaved, so load on the machine hits all alike
                for label, command in commands(experiment).items():
                    start = time.perf_counter()
                    done = subprocess.run(command, env=env, capture_output=True, timeout=300)
                    times.setdefault(label, []).append(time.perf_counter() - start)
                    if done.returncode != 0:
                        raise SystemExit(f"{label} failed: {done.stderr.decode()[-500:]}")
    finally:
        server.terminate()
        server.wait()
    bare = statistics.median(times["bare `import openai`"])
    print(f"start-up, median of {args.repeat} fresh processes (wall s; minus bare import openai)")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label:<34} {median:6.2f} s   {median - bare:+6.2f} s")


if __name__ == "__main__":
    main()
