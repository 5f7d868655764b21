"""The `playground` command end to end: run prints the id then a summary, export writes the
documented schema, bad input is one line with exit 2, keys never reach the store or export."""

import json
import re

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.records import Record

SECRET = "sk-test-SECRET-0123456789abcdef"


def write_experiment(path, roles: str, dataset="builtin:reading", extra=""):
    path.write_text(
        f"""
name = "cli-test"
protocol = "debate"
dataset = "{dataset}"
limit = 2
seed = 3
tags = ["t1"]
{extra}
[options]
rounds = 2
swap_positions = true
{roles}
"""
    )
    return path


def judge_or_debater(request_json) -> str:
    text = json.dumps(request_json)
    if "fair judge" in text:
        return "Answer: B\nConfidence: 70"
    return "My answer is supported by the text."


def run_cli(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def check_run(tmp_path, db, experiment, expected_records=4):
    result = run_cli(db, "run", str(experiment))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    run_id = lines[0]
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", run_id)
    assert any(
        line.startswith("transcripts: 4   verdicts: 4 ok, 0 unparseable, 0 error") for line in lines
    )
    out = tmp_path / "out.jsonl"
    result = run_cli(db, "export", "--format", "jsonl", "--out", str(out), "--run", run_id)
    assert result.exit_code == 0, result.output
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert len(records) == expected_records
    for r in records:
        assert r.run_id == run_id
        assert r.verdict.status == "ok"
        assert r.verdict.choice == r.assignment.display_order[1]  # judge said B
        assert r.is_correct == (r.verdict.choice == r.correct)
        assert [t.role for t in r.turns] == ["debater_a", "debater_b"] * 2 + ["judge"]
        assert all(t.input_tokens and t.output_tokens for t in r.turns)
    assert sum(r.assignment.swapped for r in records) == 2
    assert SECRET not in out.read_text()
    assert SECRET.encode() not in db.read_bytes()
    return records


def test_run_and_export_against_openai_compatible_server(tmp_path, openai_server, monkeypatch):
    # the standard pairing: OPENAI_BASE_URL names the server, OPENAI_API_KEY its key
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.api_key = SECRET  # refuses calls without it
    openai_server.responder = judge_or_debater
    exp = write_experiment(
        tmp_path / "exp.toml",
        """
[roles.debater]
model = "openai/test-debater"
max_tokens = 40
[roles.judge]
model = "openai/test-judge"
temperature = 0
""",
    )
    records = check_run(tmp_path, tmp_path / "log.db", exp)
    judge = records[0].provenance.roles["judge"]
    assert judge.model == "openai/test-judge"
    assert judge.base_url == openai_server.base_url
    assert judge.params == {"temperature": 0.0}
    assert records[0].turns[-1].resolved_model == "test-judge"
    # the key went over HTTP and nowhere else
    assert any(SECRET in str(r.headers) for r in openai_server.requests)


def test_run_and_export_against_anthropic_compatible_server(
    tmp_path, anthropic_server, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_KEY_FOR_PROXY", SECRET)  # a server's own key, named by the role
    anthropic_server.api_key = SECRET
    anthropic_server.responder = judge_or_debater
    exp = write_experiment(
        tmp_path / "exp.toml",
        f"""
[roles.debater]
model = "anthropic/claude-test"
base_url = "{anthropic_server.base_url}"
max_tokens = 40
init = {{ api_key_env = "ANTHROPIC_KEY_FOR_PROXY" }}
[roles.judge]
model = "anthropic/claude-test"
base_url = "{anthropic_server.base_url}"
init = {{ api_key_env = "ANTHROPIC_KEY_FOR_PROXY" }}
""",
    )
    records = check_run(tmp_path, tmp_path / "log.db", exp)
    assert records[0].provenance.roles["debater_a"].params == {"max_tokens": 40}


def test_runs_lists_what_was_logged(tmp_path, openai_server):
    openai_server.responder = judge_or_debater
    db = tmp_path / "log.db"
    assert "no runs yet" in run_cli(db, "runs").output
    exp = write_experiment(
        tmp_path / "e.toml",
        f'[roles.debater]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\n'
        f'[roles.judge]\nmodel = "openai/m"\nbase_url = "{openai_server.base_url}"\n',
    )
    run_id = run_cli(db, "run", str(exp)).stdout.splitlines()[0]
    listing = run_cli(db, "runs").output
    assert run_id in listing and "cli-test" in listing and "4/0/0" in listing


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[roles.debater]\nmodel = "local/smollm2"\ntemprature = 1\n[roles.judge]\nmodel = "local/smollm2"\n',
            "roles.debater.temprature: unknown key",
        ),
        (
            '[roles.debater]\nmodel = "nope/x"\n[roles.judge]\nmodel = "local/smollm2"\n',
            "unknown provider 'nope'",
        ),
        (
            '[roles.debater]\nmodel = "openai/gpt-4o-mini"\n[roles.judge]\nmodel = "local/smollm2"\n',
            "OPENAI_API_KEY",
        ),
    ],
)
def test_bad_settings_exit_2_with_one_line(tmp_path, monkeypatch, body, message):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    exp = write_experiment(tmp_path / "bad.toml", body)
    result = run_cli(tmp_path / "log.db", "run", str(exp))
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and message in error_lines[0]


def test_bad_dataset_exit_2(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a", "question": "q", "answers": ["x"], "correct": 0}\n')
    exp = write_experiment(
        tmp_path / "e.toml",
        '[roles.debater]\nmodel = "local/smollm2"\n[roles.judge]\nmodel = "local/smollm2"\n',
        dataset=str(data),
    )
    result = run_cli(tmp_path / "log.db", "run", str(exp))
    assert result.exit_code == 2
    assert "d.jsonl line 1" in result.output


def test_export_unknown_run(tmp_path):
    result = run_cli(tmp_path / "log.db", "export", "--out", str(tmp_path / "x"), "--run", "nope")
    assert result.exit_code == 2
    assert "no run 'nope'" in result.output


def any_protocol(request_json) -> str:
    messages = request_json["messages"]
    system = request_json.get("system") or messages[0]["content"]  # Anthropic puts it apart
    if isinstance(system, list):
        system = " ".join(part["text"] for part in system)
    last = messages[-1]["content"]
    if "Which answer will you argue for?" in last:
        return "Answer: A"
    if "Write one short question" in last:
        return "Which sentence supports you?"
    if re.search(r"You are a (fair |careful )?judge", system):
        return "Answer: B\nConfidence: 70"
    return "My answer is supported by the text."


@pytest.mark.parametrize(
    ("protocol", "roles", "options", "verdicts"),
    [
        ("blind", ["judge"], "swap_positions = true", 4),
        ("consultancy", ["consultant", "judge"], "rounds = 2", 4),
        ("open_consultancy", ["consultant", "judge"], "rounds = 2", 2),
        (
            "debate",
            ["debater", "judge"],
            'rounds = 2\nturn_order = "sequential"\njudge_each_round = true',
            2,
        ),
        ("open_debate", ["debater", "judge"], "rounds = 1\ninteractive_judge = true", 2),
        ("debate", ["debater", "judge"], 'rounds = 1\njudges = ["judge", "judge_b"]', 4),
    ],
)
@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_every_protocol_runs_from_the_cli(
    tmp_path, openai_server, anthropic_server, api, protocol, roles, options, verdicts
):
    server = {"openai": openai_server, "anthropic": anthropic_server}[api]
    server.responder = any_protocol
    tables = "".join(
        f'[roles.{r}]\nmodel = "{api}/m"\nbase_url = "{server.base_url}"\n' for r in roles
    )
    exp = tmp_path / "e.toml"
    exp.write_text(
        f'name = "{protocol}"\nprotocol = "{protocol}"\ndataset = "builtin:reading"\nlimit = 2\n'
        f"[options]\n{options}\n{tables}"
    )
    db = tmp_path / "log.db"
    result = run_cli(db, "run", str(exp))
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.jsonl"
    run_cli(db, "export", "--out", str(out))
    records = [Record.model_validate_json(line) for line in out.read_text().splitlines()]
    assert len(records) == verdicts
    assert all(r.protocol == protocol and r.verdict.status == "ok" for r in records)
