"""Re-running a stored or imported experiment (re-judge, fork) builds only the seats that speak
again: a doctored import naming code or an unknown provider for a seat that does not speak is
never built, a speaking one is refused in one line, and a store that stays unwritable stops the
re-run with a one-line error."""

import asyncio
import json
import re

import pytest
from click.testing import CliRunner
from test_cli import judge_or_debater, write_experiment
from test_fork import original_run

from playground.cli import cli
from playground.experiments import ExperimentError
from playground.experiments.fork import fork
from playground.experiments.seats import StoredSeat
from playground.providers.scripted import ScriptedModel
from playground.store import StoreUnavailable


def doctored_import(tmp_path, openai_server, marker):
    """Run a debate over the loopback server, export it, plant code in its stored experiment's
    debater seats (and an unknown provider in one), import it into a fresh store."""
    openai_server.responder = judge_or_debater
    db, fresh = tmp_path / "log.db", tmp_path / "fresh.db"
    url = openai_server.base_url
    exp = write_experiment(
        tmp_path / "e.toml",
        f'[roles.debater]\nmodel = "openai/m"\nbase_url = "{url}"\n'
        f'[roles.judge]\nmodel = "openai/m"\nbase_url = "{url}"\n',
    )
    invoke = lambda db, *a: CliRunner().invoke(cli, ["--db", str(db), *a])  # noqa: E731
    assert invoke(db, "run", str(exp)).exit_code == 0
    out = tmp_path / "out.jsonl"
    assert invoke(db, "export", "--out", str(out)).exit_code == 0
    planted = {
        "debater": {
            "model": "langchain:subprocess.Popen",
            "init": {"args": ["touch", str(marker)]},
        },
        "debater_b": {"model": "nosuch/model"},
        "judge": {"model": "openai/m", "base_url": url},
    }
    lines = []
    for line in out.read_text().splitlines():
        record = json.loads(line)
        record["origin"]["run"]["config"]["experiment"]["roles"] = planted
        lines.append(json.dumps(record))
    out.write_text("\n".join(lines) + "\n")
    result = invoke(fresh, "import", str(out))
    assert result.exit_code == 0, result.output
    listing = invoke(fresh, "transcripts", result.stdout.split()[-1]).stdout
    return fresh, re.match(r"([0-9a-f]{32})", listing).group(1), invoke


def test_rejudging_a_doctored_import_never_builds_the_seats_that_do_not_speak(
    tmp_path, openai_server
):
    marker = tmp_path / "pwned"
    db, transcript, invoke = doctored_import(tmp_path, openai_server, marker)
    before = len(openai_server.requests)
    result = invoke(db, "rejudge", transcript, "--set", "roles.judge.temperature=0.2")
    assert result.exit_code == 0, result.output
    assert len(openai_server.requests) == before + 1  # the judge, and only the judge
    assert not marker.exists()
    new_run = re.search(r"run (\S+) ", result.stdout).group(1)
    out = tmp_path / "again.jsonl"
    assert invoke(db, "export", "--run", new_run, "--out", str(out)).exit_code == 0
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    roles = record["provenance"]["roles"]
    # the debaters' provenance is the stored run's: their turns were copied from it
    assert roles["debater_a"]["model"] == roles["debater_b"]["model"] == "openai/m"
    assert roles["judge"]["params"]["temperature"] == 0.2


def test_a_speaking_seat_that_is_refused_gets_one_line(tmp_path, openai_server):
    marker = tmp_path / "pwned"
    db, transcript, invoke = doctored_import(tmp_path, openai_server, marker)
    before = len(openai_server.requests)
    result = invoke(db, "fork", transcript, "--at-turn", "0")  # the debaters speak again
    assert result.exit_code == 2
    *_, last = result.output.splitlines()
    assert re.fullmatch(r"Error: langchain:subprocess.Popen: subprocess is not an allowed .*", last)
    result = invoke(db, "rejudge", transcript, "--set", "roles.judge.model=langchain:os.system")
    assert result.exit_code == 2
    *_, last = result.output.splitlines()
    assert re.fullmatch(r"Error: langchain:os.system: os is not an allowed module.*", last)
    assert len(openai_server.requests) == before and not marker.exists()


def test_a_seat_that_speaks_after_all_is_built_then(store, tiny_dataset):
    view, models = original_run(store, tiny_dataset)
    more = {**models, "judge": ScriptedModel(["Answer: B\nConfidence: 90"])}
    calls = len(models["debater_a"].calls)
    # a third round at the last turn: the debaters were not expected to speak, but do
    summary = asyncio.run(
        fork(store, view.id, at_turn=3, changes={"options": {"rounds": 3}}, models=more)
    )
    assert len(models["debater_a"].calls) == calls + 1
    [child] = store.transcripts_of(summary.info.id)
    assert [t.role for t in child.turns][-3:] == ["debater_a", "debater_b", "judge"]


def test_a_stored_seat_reads_no_model_until_called():
    from playground.records import RoleProvenance

    built = []
    seat = StoredSeat("x", None, None, RoleProvenance(model="openai/m"), lambda: built.append(1))
    assert "openai/m" in repr(seat) and seat.provenance().model == "openai/m" and not built


def test_an_unwritable_store_stops_a_rejudge_in_one_line(store, tiny_dataset, monkeypatch):
    view, models = original_run(store, tiny_dataset)
    record = store.record

    def failing(event):
        if type(event).__name__ == "VerdictReached":
            raise StoreUnavailable("the log could not be written: database is locked")
        record(event)

    monkeypatch.setattr(store, "record", failing)
    with pytest.raises(ExperimentError, match=r"stopped as failed: the log could not be written"):
        asyncio.run(fork(store, view.id, models=models))
    monkeypatch.undo()
    [failed] = [r for r in store.list_runs() if r.config.get("parent")]
    assert failed.status == "failed"
