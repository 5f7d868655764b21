"""Batch-engine figures: the same debate experiment run once call by call and once through the
OpenAI Batch API (``batch = true``), side by side against loopback servers in this process, with
a share of batch requests failing so the retries show. Prints calls, waves, batches, requests
sent, HTTP requests and the cost of each run at the price table's rates (gpt-4o-mini list price
against its batch price): the saving is simulated, the token counts are the server's.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from playground.experiments import parse_experiment, run_experiment
from playground.providers import Credentials
from playground.store import Store
from playground.store.batches import BatchLog
from tests.loopback.batch_servers import OpenAIBatchServer
from tests.loopback.openai_server import OpenAIServer


def responder(body: dict[str, Any]) -> str:
    if "Answer:" in str(body.get("messages")):
        return "Answer: A\nConfidence: 70"
    return "The passage supports my answer, as its second paragraph says plainly. " * 3


def experiment(base_url: str, n: int, rounds: int, batch: bool) -> Any:
    return parse_experiment(
        {
            "name": "batch bench" if batch else "direct bench",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": n,
            "cache": False,
            "concurrency": 16,
            "batch": batch,
            "batch_poll_s": 0.02,
            "options": {"rounds": rounds, "swap_positions": True},
            "roles": {
                "debater": {"model": "openai/gpt-4o-mini", "base_url": base_url},
                "judge": {"model": "openai/gpt-4o-mini", "base_url": base_url},
            },
        }
    )


def run(exp: Any, store: Store) -> tuple[Any, float]:
    started = time.perf_counter()
    summary = asyncio.run(run_experiment(exp, store, credentials=Credentials()))
    return summary.info, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="items (two transcripts each)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fail", type=float, default=0.05, help="share of batch requests failing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "bench.db"))
        with OpenAIServer(responder=responder, record=False) as direct_server:
            direct, direct_s = run(
                experiment(direct_server.base_url, args.n, args.rounds, False), store
            )
            direct_http = direct_server.received
        with OpenAIBatchServer(responder=responder, record=False) as batch_server:
            rng = random.Random(0)
            calls = direct_http
            batch_server.batches.item_faults = [
                "500" if rng.random() < args.fail else None for _ in range(calls)
            ]
            batched, batch_s = run(
                experiment(batch_server.base_url, args.n, args.rounds, True), store
            )
            batch_http = batch_server.received
            sent = batch_server.batches.requests_sent()
        batches = BatchLog(store).of_run(batched.id)
        turns = [t for v in store.transcripts_of(batched.id) for t in v.turns]

    waves = max(b.wave for b in batches)
    saving = 1 - batched.cost_usd / direct.cost_usd if direct.cost_usd else float("nan")
    rows = [
        ("transcripts", direct.transcripts, batched.transcripts),
        ("model calls (turns)", direct_http, len(turns)),
        ("verdicts ok", direct.verdicts.get("ok", 0), batched.verdicts.get("ok", 0)),
        ("waves", "-", waves),
        ("provider batches", "-", len(batches)),
        ("batch requests sent (retries included)", "-", sent),
        ("failed requests sent again alone", "-", sent - len(turns)),
        ("HTTP requests to the server", direct_http, batch_http),
        (
            "tokens in / out",
            f"{direct.input_tokens} / {direct.output_tokens}",
            f"{batched.input_tokens} / {batched.output_tokens}",
        ),
        (
            "cost at the price table (gpt-4o-mini)",
            f"${direct.cost_usd:.5f}",
            f"${batched.cost_usd:.5f}",
        ),
        ("wall time (loopback; polls every 0.02 s)", f"{direct_s:.2f} s", f"{batch_s:.2f} s"),
    ]
    print(
        f"{args.n} items x 2 positions, {args.rounds}-round debates, {args.fail:.0%} of batch "
        "requests failing once"
    )
    print("| figure | call by call | batch engine |")
    print("| --- | --- | --- |")
    for name, left, right in rows:
        print(f"| {name} | {left} | {right} |")
    print(f"simulated cost saving: {saving:.1%} (batch price / list price)")
    print(f"calls per wave: {len(turns) / waves:.1f} (every transcript's step in one batch)")


if __name__ == "__main__":
    main()
