"""Adding a judged protocol is one module plus its prompt files: `example_protocol` (which no
other file names) is registered here and appears on the Debate page, runs from it with its own
option, is described in `playground report`, and is exported like any other protocol."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from example_protocol import LoneAdvocate
from test_pages import TIMEOUT, open_app, texts, use_server

from playground.cli import cli
from playground.experiments import ExperimentError, parse_experiment
from playground.protocols import PROTOCOLS, registered


def advocate_or_judge(request: dict) -> str:
    system = request["messages"][0]["content"]
    if "lone-advocate judge" in system:
        return "Answer: A\nConfidence: 75"
    cap = re.search(r"at most (\d+) sentences", system)
    assert cap is not None, system
    return f"In {cap.group(1)} sentences: my answer is right."


@pytest.fixture
def lone_advocate():
    with registered(LoneAdvocate) as cls:
        yield cls
    assert "lone_advocate" not in PROTOCOLS


def test_the_example_protocol_runs_from_the_debate_page(store, openai_server, lone_advocate):
    openai_server.responder = advocate_or_judge
    at = open_app()
    assert "Lone advocate" in at.selectbox(key="protocol").options  # its label
    at.selectbox(key="protocol").set_value("lone_advocate").run()
    assert "One advocate argues for the first-shown answer" in texts(at)
    # its own option, drawn from its Options model (bounds and help from the field)
    at.number_input(key="lone_advocate.sentences").set_value(4)
    at.checkbox(key="lone_advocate.swap_positions").check()
    use_server(at, openai_server.base_url, ["advocate", "judge"])
    assert "Advocate" in texts(at)  # its seat style
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert at.status[0].proto.label.startswith("Lone advocate finished in ")

    [run] = store.list_runs()
    assert (run.protocol, run.status, run.verdicts) == ("lone_advocate", "done", {"ok": 2})
    assert run.config["experiment"]["options"]["sentences"] == 4
    assert (
        len(openai_server.requests)
        == 4
        == LoneAdvocate.expected_calls(LoneAdvocate.Options(swap_positions=True))
    )
    assert "In 4 sentences: my answer is right." in texts(at)
    [view, _] = store.transcripts_of(run.id)
    advocate = view.turns[0]
    assert (advocate.role, advocate.prompt_id) == ("advocate", "lone_advocate/advocate")


def test_the_example_protocol_is_in_the_report_and_the_export(store, openai_server, tmp_path,
                                                               lone_advocate):  # fmt: skip
    openai_server.responder = advocate_or_judge
    experiment = {
        "name": "advocate", "protocol": "lone_advocate", "dataset": "builtin:reading",
        "limit": 2, "options": {"sentences": 3},
        "roles": {
            role: {"model": "openai/loopback", "base_url": openai_server.base_url}
            for role in ("advocate", "judge")
        },
    }  # fmt: skip
    import asyncio

    from playground.experiments import run_experiment

    summary = asyncio.run(run_experiment(parse_experiment(experiment), store))
    db = ["--db", str(store.url.database)]
    report = CliRunner().invoke(cli, [*db, "report", "--section", "lone_advocate"])
    assert report.exit_code == 0, report.output
    assert "== Lone advocate ==" in report.output
    assert "-- persuaded --" in report.output
    row = next(line for line in report.output.splitlines() if "openai/loopback" in line)
    assert row.split()[-5:-3] == ["2", "2"]  # n, k: both judges sided with the advocate

    out = tmp_path / "log.jsonl"
    exported = CliRunner().invoke(cli, [*db, "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["protocol"] for r in records} == {"lone_advocate"} and len(records) == 2
    assert all(r["run_id"] == summary.info.id for r in records)
    assert records[0]["provenance"]["options"]["sentences"] == 3
    assert records[0]["turns"][0]["prompt_id"] == "lone_advocate/advocate"


def test_unregistered_it_is_unknown_again():
    with pytest.raises(ExperimentError, match="unknown protocol 'lone_advocate'"):
        parse_experiment({"name": "x", "protocol": "lone_advocate", "dataset": "builtin:reading"})
