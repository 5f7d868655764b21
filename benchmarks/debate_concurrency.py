"""How close a batch of debates gets to the concurrency bound, what each model call costs the
playground in CPU, and what a cached replay costs.

Runs N debates against a loopback OpenAI-compatible server (in its own process, so its CPU is not
counted) that answers every call after a fixed latency L, with at most C calls in flight:

    ideal = max(critical path of one debate, total calls × L / C)
    ratio = wall time / ideal                       (target ≤ 1.1 at N=200, C=16, L=100 ms)
    CPU per call = this process's CPU time / calls  (target ≤ 2 ms)

then replays the same experiment from the response cache and counts the HTTP calls the server
received (target 0). Beside these it measures, in the same run, a bare `AsyncOpenAI` loop sending
exactly the requests the playground sent, and the playground with scripted seats (no HTTP).

    python -m benchmarks.debate_concurrency [--n 200] [--c 16] [--latency 0.1] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import playground.providers.openai  # noqa: F401  imported now, so no call is billed for it
from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel
from playground.store import Store

ROOT = Path(__file__).resolve().parents[1]


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.loopback.openai_server",
            "--latency",
            str(latency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "OpenAIServer on http://127.0.0.1:PORT/v1 (Ctrl-C to stop)"
    return proc, line.split(" on ")[1].split()[0]


def received(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/_loopback/stats") as response:
        return int(json.load(response)["received"])


def bodies(base_url: str) -> list[dict]:
    """The request bodies the server received, in order."""
    with urllib.request.urlopen(f"{base_url}/_loopback/requests") as response:
        return list(json.load(response)["bodies"])


async def sdk_floor(base_url: str, requests: list[dict], in_flight: int) -> float:
    """CPU seconds per call of a bare `AsyncOpenAI` loop sending exactly the requests the
    playground sent (same messages, same parameters), as many at once: what the official SDK
    alone costs for this work."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0)
    slots = asyncio.Semaphore(in_flight)

    async def one(body: dict) -> None:
        async with slots:
            await client.chat.completions.create(**body)

    await one(requests[0])
    cpu = time.process_time()
    await asyncio.gather(*(one(body) for body in requests))
    seconds = (time.process_time() - cpu) / len(requests)
    await client.close()
    return seconds


async def timed_run(experiment, store: Store, models=None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of this process, and transcripts run."""
    wall, cpu = time.perf_counter(), time.process_time()
    summary = await run_experiment(experiment, store, models=models)
    return time.perf_counter() - wall, time.process_time() - cpu, summary.info.transcripts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="debates")
    parser.add_argument("--c", type=int, default=16, help="model calls in flight")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per call (L)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)

    server, base_url = start_server(args.latency)
    try:
        role = {"model": "openai/bench", "base_url": base_url, "max_tokens": 40}
        experiment = parse_experiment(
            {
                "name": "benchmark",
                "protocol": "debate",
                "dataset": f"builtin:arithmetic?n={args.n}",
                "options": {"rounds": args.rounds},
                # enough transcripts open that C calls are always waiting to go out
                "concurrency": 2 * args.c,
                "limits": {"openai": {"max_in_flight": args.c}},
                "roles": {"debater": role, "judge": role},
            }
        )
        calls = args.n * (2 * args.rounds + 1)
        critical_path = (args.rounds + 1) * args.latency  # simultaneous debaters, then the judge
        ideal = max(critical_path, calls * args.latency / args.c)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/bench.db")
            before = received(base_url)
            wall, cpu, transcripts = asyncio.run(timed_run(experiment, store))
            made = received(base_url) - before
            replay_wall, replay_cpu, _ = asyncio.run(timed_run(experiment, store))
            replay_calls = received(base_url) - before - made
            floor = asyncio.run(sdk_floor(base_url, bodies(base_url)[before:], args.c))
            # the playground's own work: the same run with scripted seats, no HTTP at all
            scripted = {
                "debater_a": ScriptedModel(["The text says " + "words " * 30]),
                "debater_b": ScriptedModel(["The text says " + "words " * 30]),
                "judge": ScriptedModel(["Answer: A\nConfidence: 70"]),
            }
            alone = Store(f"sqlite:///{tmp}/alone.db")
            _, own_cpu, _ = asyncio.run(timed_run(experiment, alone, scripted))
    finally:
        server.terminate()
        server.wait()

    print(
        f"debates N={args.n}, rounds={args.rounds}, calls in flight C={args.c}, latency L={args.latency * 1000:.0f} ms"
    )
    print(
        f"  model calls: {calls} planned, {made} received by the server, {transcripts} transcripts"
    )
    print(f"  ideal bound: {ideal:.2f} s   wall: {wall:.2f} s   wall / ideal: {wall / ideal:.3f}")
    print(
        f"  playground CPU per model call: {cpu / calls * 1000:.2f} ms; bare openai SDK loop "
        f"sending the same requests: {floor * 1000:.2f} ms; playground / bare SDK: "
        f"{cpu / calls / floor:.2f}"
    )
    print(
        f"  the playground's own CPU per call (same run, scripted seats, no HTTP): "
        f"{own_cpu / calls * 1000:.2f} ms"
    )
    print(
        f"  cached replay: {replay_calls} HTTP calls, wall {replay_wall:.2f} s "
        f"({replay_wall / wall:.3f} of the first run), CPU per call {replay_cpu / calls * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
