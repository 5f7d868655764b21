"""``playground run EXP --batch`` killed with SIGKILL at any point, then ``--resume``: the batches
already submitted are collected from the store's record, never sent again, and every item ends
with exactly one verdict. Through the real CLI, SDK and loopback batch servers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback.batch_servers import OpenAIBatchServer

from playground.cli import cli
from playground.store import Store
from playground.store.batches import BatchLog

ROOT = Path(__file__).resolve().parents[1]


def judge_says_a(body):
    text = str(body.get("messages"))
    return "Answer: A\nConfidence: 70" if "Answer:" in text else "My answer is right."


def write_experiment(tmp_path, dataset, server):
    path = tmp_path / "exp.toml"
    path.write_text(
        f"""
name = "batched"
protocol = "debate"
dataset = "{dataset}"
cache = false
batch_poll_s = 0.05
[options]
rounds = 2
[roles.debater]
model = "openai/gpt-4o-mini"
base_url = "{server.base_url}"
[roles.judge]
model = "openai/gpt-4o-mini"
base_url = "{server.base_url}"
"""
    )
    return path


def submitted(db, run_id):
    try:
        return [b for b in BatchLog(Store(str(db))).of_run(run_id) if b.remote_id]
    except Exception:  # the run's tables may not exist yet
        return []


@pytest.mark.parametrize("kill_after", [1, 2])
def test_sigkill_then_resume_collects_the_submitted_batches(tmp_path, tiny_dataset, kill_after):
    with OpenAIBatchServer(responder=judge_says_a) as server:
        # the batch made before the kill never ends while the first process lives
        server.batches.hold_from = kill_after - 1
        db = tmp_path / "log.db"
        exp = write_experiment(tmp_path, tiny_dataset, server)
        env = {**os.environ, "PLAYGROUND_DB": str(db), "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "playground.cli", "run", str(exp), "--batch"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        run_id = proc.stdout.readline().strip()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(submitted(db, run_id)) < kill_after:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert len(server.batches.created) == kill_after
        server.batches.hold_from = None

        result = CliRunner().invoke(cli, ["--db", str(db), "run", "--resume", run_id])
        assert result.exit_code == 0, result.output
        # three waves, each sent once: the kill cost no second submission
        assert len(server.batches.created) == 3
        assert server.batches.requests_sent() == 15
        assert "collected" in result.output  # the batch progress lines

    store = Store(str(db))
    (info,) = store.list_runs()
    assert info.status == "done"
    views = store.transcripts_of(run_id)
    finished = [v for v in views if v.status == "done"]
    per_item = Counter(v.item.id for v in finished if v.verdicts)
    assert per_item == {"q1": 1, "q2": 1, "q3": 1}
    remote = {b.remote_id for b in BatchLog(store).of_run(run_id)}
    assert all(t.meta["batch_id"] in remote for v in finished for t in v.turns)
    # each request is paid once: a result handed out before the kill and again after costs
    # nothing the second time (its abandoned turn holds the cost)
    from playground.providers.pricing import price_for

    price = price_for("gpt-4o-mini")
    turns = [t for v in finished for t in v.turns]
    once = sum(price.cost(t.input_tokens, t.output_tokens) / 2 for t in turns)
    assert info.cost_usd == pytest.approx(once)
    reused = [t for t in turns if t.meta.get("batch_reused")]
    assert len(reused) == (6 if kill_after == 2 else 0)
    assert all(t.cost_usd == 0 for t in reused)


KILL_AT_RECORDING = """
import os, sys
from playground.store.batches import BatchLog
def die(*args, **kwargs):
    os._exit(9)  # as SIGKILL: the batch was accepted, the store never learns its id
BatchLog.submitted = die
from playground.cli import cli
cli(["run", sys.argv[1], "--batch"])
"""


def test_killed_between_submitting_and_recording_finds_the_batch_again(tmp_path, tiny_dataset):
    with OpenAIBatchServer(responder=judge_says_a) as server:
        db = tmp_path / "log.db"
        exp = write_experiment(tmp_path, tiny_dataset, server)
        env = {**os.environ, "PLAYGROUND_DB": str(db), "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [sys.executable, "-c", KILL_AT_RECORDING, str(exp)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 9, proc.stderr
        run_id = proc.stdout.splitlines()[0].strip()
        assert len(server.batches.created) == 1
        (stored,) = BatchLog(Store(str(db))).of_run(run_id)
        assert stored.remote_id is None and stored.status == "submitting"

        result = CliRunner().invoke(cli, ["--db", str(db), "run", "--resume", run_id])
        assert result.exit_code == 0, result.output
        # the batch is found by our id in its metadata and collected: never sent twice
        assert len(server.batches.created) == 3 and server.batches.requests_sent() == 15
    batches = BatchLog(Store(str(db))).of_run(run_id)
    assert batches[0].remote_id == server.batches.created[0]
    assert [b.status for b in batches] == ["collected"] * 3
