"""One judge_probe run on the embedded model through the CLI (no key, no server): a logged
scripted debate re-judged by local/smollm2 under every probe. The 135M model often ignores the
format: whatever it writes is recorded, and only ok pairs reach the probe table."""

import asyncio

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel
from playground.store import Store

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_judge_probe_on_the_embedded_model_via_the_cli(tmp_path, tiny_dataset):
    db = tmp_path / "log.db"
    store = Store(f"sqlite:///{db}")
    source = parse_experiment(
        {
            "name": "source",
            "protocol": "debate",
            "dataset": str(tiny_dataset),
            "limit": 2,
            "options": {"rounds": 1},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    models = {
        "debater_a": ScriptedModel(["The passage supports my answer."]),
        "debater_b": ScriptedModel(["The passage does not say that."]),
        "judge": ScriptedModel(["Answer: A"]),
    }
    run_id = asyncio.run(run_experiment(source, store, models=models)).info.id
    path = tmp_path / "probe.toml"
    path.write_text(
        f'name = "embedded probe"\nprotocol = "judge_probe"\ndataset = "run:{run_id}"\n'
        '[roles.judge]\nmodel = "local/smollm2"\ntemperature = 0\nmax_tokens = 16\n'
    )
    ran = CliRunner().invoke(cli, ["--db", str(db), "run", str(path)])
    assert ran.exit_code == 0, ran.output
    probe = next(r for r in store.list_runs() if r.protocol == "judge_probe")
    assert probe.status == "done"
    records = list(store.iter_records(probe.id))
    assert len(records) == 2 * 5  # two logged transcripts, base + four probes
    assert {r.verdict.status for r in records} <= {"ok", "unparseable"}
    assert all(r.verdict.metrics["kind"] == "probe" for r in records)
    report = CliRunner().invoke(cli, ["--db", str(db), "report", "--section", "judge_probe"])
    assert report.exit_code == 0, report.output
    assert "Judge bias probes" in report.output
