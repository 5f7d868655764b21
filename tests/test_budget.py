"""Budgets: max_tokens_total and max_cost_usd per run, max_transcript_cost_usd per transcript stop
a run cleanly as ``budget`` (no error verdicts, nothing logged lost), a higher budget resumes it;
``--dry-run`` plans the calls per seat and their cost without sending anything."""

import asyncio
import re

from click.testing import CliRunner
from test_cli import judge_or_debater, write_experiment
from test_debate import debater, experiment

from playground.cli import cli
from playground.experiments import run_experiment
from playground.providers.scripted import ScriptedModel


def scripted():
    return {
        "debater_a": ScriptedModel(debater),
        "debater_b": ScriptedModel(debater),
        "judge": ScriptedModel(["Answer: A\nConfidence: 80"]),
    }


def test_a_token_budget_stops_cleanly_and_a_higher_one_resumes(store, tiny_dataset):
    exp = experiment(tiny_dataset, concurrency=1)
    exp.max_tokens_total = 500  # about one and a half transcripts of ScriptedModel word counts
    first = asyncio.run(run_experiment(exp, store, models=scripted()))
    info = first.info
    assert info.status == "budget"
    assert first.stopped.startswith("max_tokens_total 500 reached")
    assert f"--resume {info.id}" in first.lines()[-1]
    assert 0 < info.verdicts.get("ok", 0) < 3 and not info.verdicts.get("error")
    logged = {t.index: t for v in store.transcripts_of(info.id) for t in v.turns}
    assert logged and all(t.error is None for t in logged.values())
    again = asyncio.run(
        run_experiment(
            None, store, models=scripted(), resume=info.id, budget={"max_tokens_total": 10_000}
        )
    )
    assert again.info.status == "done" and again.info.verdicts == {"ok": 3}
    assert again.stopped is None


def test_free_calls_never_reach_a_cost_budget(store, tiny_dataset):
    exp = experiment(tiny_dataset)
    models = {role: ScriptedModel(lambda m, c: "Answer: A", name="gpt-4o") for role in scripted()}
    exp.max_transcript_cost_usd = 1e-9  # ScriptedModel costs 0: never reached
    assert asyncio.run(run_experiment(exp, store, models=models)).info.status == "done"


def cli_experiment(tmp_path, server, extra=""):
    server.responder = judge_or_debater
    url = server.base_url
    return write_experiment(
        tmp_path / "e.toml",
        f'[roles.debater]\nmodel = "openai/gpt-4o-mini"\nbase_url = "{url}"\n'
        f'[roles.judge]\nmodel = "openai/gpt-4o-mini"\nbase_url = "{url}"\n',
        extra=extra,
    )


def test_cli_cost_budget_stops_as_budget_and_resumes(tmp_path, openai_server):
    db = tmp_path / "log.db"
    exp = cli_experiment(tmp_path, openai_server, extra="concurrency = 1")
    invoke = lambda *a: CliRunner().invoke(cli, ["--db", str(db), *a])  # noqa: E731
    result = invoke("run", str(exp), "--max-cost-usd", "0.0005")
    assert result.exit_code == 3, result.output
    run_id = result.stdout.splitlines()[0]
    assert re.search(r"budget in .*\n", result.stdout)
    assert re.search(
        r"stopped: max_cost_usd 0.0005 reached \(\$0\.000[5-9]\d* spent\)", result.stdout
    )
    sent = len(openai_server.requests)
    assert 0 < sent < 20  # 2 items, 2 transcripts each, 5 calls a transcript
    assert "error" not in invoke("runs").stdout.split(run_id)[1].splitlines()[0]
    result = invoke("run", "--resume", run_id, "--max-cost-usd", "1")
    assert result.exit_code == 0, result.output
    # the transcript the budget stopped stays, abandoned; it was run again in full
    assert "transcripts: 5   verdicts: 4 ok, 0 unparseable, 0 error" in result.stdout


def test_cli_transcript_budget(tmp_path, openai_server):
    db = tmp_path / "log.db"
    exp = cli_experiment(tmp_path, openai_server)
    result = CliRunner().invoke(
        cli, ["--db", str(db), "run", str(exp), "--max-transcript-cost-usd", "0.000001"]
    )
    assert result.exit_code == 3, result.output
    assert "stopped: max_transcript_cost_usd 1e-06 reached in a transcript" in result.stdout
    # each transcript's round 1 (two debaters at once) was sent, nothing after it
    assert len(openai_server.requests) == 4 * 2
    assert "verdicts: 0 ok, 0 unparseable, 0 error" in result.stdout


def test_dry_run_plans_calls_per_seat_and_sends_nothing(tmp_path, openai_server):
    db = tmp_path / "log.db"
    exp = cli_experiment(tmp_path, openai_server)
    invoke = lambda *a: CliRunner().invoke(cli, ["--db", str(db), *a])  # noqa: E731
    result = invoke("run", str(exp), "--dry-run", "--max-cost-usd", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 items, 4 transcripts" in out
    for seat, calls in (("debater_a", 8), ("debater_b", 8), ("judge", 4)):
        assert re.search(
            rf"  {seat}: openai/gpt-4o-mini  {calls} calls  ~[\d,]+ in \+ ~[\d,]+ out tokens  ~\$0\.\d{{4}}",
            out,
        ), out
    assert re.search(r"total: 20 calls, estimated \$0\.\d{4}", out)
    assert "budget: max_cost_usd = 2" in out and out.rstrip().endswith("nothing was sent")
    assert openai_server.requests == [] and invoke("runs").stdout.count("cli-test") == 0
