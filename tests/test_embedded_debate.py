"""A real debate on the embedded model (SmolLM2 in-process): no key, no server, no mock."""

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.experiments import load_experiment, run_experiment

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_real_debate_on_the_embedded_model(store, tmp_path):
    experiment = load_experiment("examples/debate-local.toml")
    experiment.limit = 1
    experiment.options = {"rounds": 1, "swap_positions": False}
    summary = asyncio.run(run_experiment(experiment, store))
    assert summary.info.status == "done"
    [record] = store.iter_records(summary.info.id)
    assert [t.role for t in record.turns] == ["debater_a", "debater_b", "judge"]
    for turn in record.turns:
        assert turn.error is None
        assert turn.content.strip(), f"{turn.role} said nothing"
        assert turn.model == "local/smollm2"
        assert turn.cost_usd == 0.0
        assert turn.output_tokens and turn.output_tokens > 0
    # the tiny model may or may not follow the format; either way the verdict is honest
    assert record.verdict.status in ("ok", "unparseable")
    assert record.verdict.raw == record.turns[-1].content
    if record.verdict.status == "unparseable":
        assert record.is_correct is None
    else:
        assert record.is_correct == (record.verdict.choice == record.correct)


def test_cli_run_on_the_embedded_model(tmp_path):
    db = tmp_path / "log.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "run", "examples/debate-local.toml", "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "transcripts: 2" in result.output  # one item, both positions


@pytest.mark.parametrize(
    ("protocol", "roles", "options"),
    [
        ("blind", ["judge"], {}),
        ("consultancy", ["consultant", "judge"], {"rounds": 1}),
        ("open_consultancy", ["consultant", "judge"], {"rounds": 1}),
        ("open_debate", ["debater", "judge"], {"rounds": 1}),
    ],
)
def test_every_protocol_on_the_embedded_model(store, protocol, roles, options):
    from playground.experiments import parse_experiment

    role = {"model": "local/smollm2", "max_tokens": 48, "temperature": 0.0}
    experiment = parse_experiment(
        {
            "name": protocol,
            "protocol": protocol,
            "dataset": "builtin:reading",
            "limit": 1,
            "options": options,
            "roles": dict.fromkeys(roles, role),
        }
    )
    summary = asyncio.run(run_experiment(experiment, store))
    assert summary.info.status == "done"
    records = list(store.iter_records(summary.info.id))
    assert records and all(r.protocol == protocol for r in records)
    for r in records:
        # the tiny model may not follow formats: an open protocol's side choice can fail, and a
        # verdict can be unparseable, but every outcome is recorded honestly, never guessed
        assert r.verdict.status in ("ok", "unparseable", "error")
        assert all(t.model == "local/smollm2" and t.cost_usd == 0.0 for t in r.turns if not t.error)
        if r.verdict.status != "ok":
            assert r.is_correct is None


def test_loopback_servers_can_answer_with_the_embedded_model(tmp_path):
    """The README's way to try the CLI against local OpenAI-/Anthropic-compatible servers."""
    from loopback.anthropic_server import AnthropicServer
    from loopback.openai_server import OpenAIServer
    from loopback.shapes import model_responder

    responder = model_responder("local/smollm2")
    with OpenAIServer(responder=responder) as oa, AnthropicServer(responder=responder) as an:
        exp = tmp_path / "e.toml"
        exp.write_text(
            Path("examples/debate-local-servers.toml")
            .read_text()
            .replace("http://127.0.0.1:8000/v1", oa.base_url)
            .replace("http://127.0.0.1:8001", an.base_url)
            .replace("rounds = 2", "rounds = 1")
            .replace("limit = 2", "limit = 1")
        )
        result = CliRunner().invoke(cli, ["--db", str(tmp_path / "log.db"), "run", str(exp)])
        assert result.exit_code == 0, result.output
        assert "transcripts: 1" in result.output and "0 error" in result.output
        assert {r.path for r in oa.requests} == {"/v1/chat/completions"}
        assert {r.path for r in an.requests} == {"/v1/messages"}
