"""The approval lab and consistency checks on the embedded model, through the CLI a newcomer
uses: no key, no server, no mock. The 135M model rarely follows formats; whatever it writes is
recorded honestly (invalid steps score 0, unreadable approvals and probabilities are counted)."""

import json

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.store import Store

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_approval_episode_on_the_embedded_model_via_the_cli(tmp_path):
    db = tmp_path / "log.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "run", "examples/approval-local.toml", "--limit", "1"]
    )
    assert result.exit_code == 0, result.output
    [run] = Store(f"sqlite:///{db}").list_runs()
    assert run.protocol == "approval" and run.status == "done"
    report = CliRunner().invoke(cli, ["--db", str(db), "report", "--section", "approval"])
    assert report.exit_code == 0, report.output
    assert "myopic_overseer" in report.output and "outcome" in report.output
    out = tmp_path / "approvals.jsonl"
    exported = CliRunner().invoke(
        cli, ["--db", str(db), "export", "--approvals", "--out", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    steps = {x["step_number"] for x in lines}
    assert len(lines) == 2 * len(steps) >= 6  # two sources, 3-5 courier stops
    for line in lines:
        assert 0 <= line["true_value"] <= 1
        assert line["approval"] is None or 0 <= line["approval"] <= 1
        assert line["status"] in ("ok", "unparseable")
        assert line["model"] in ("local/smollm2", "environment")


def test_consistency_checks_on_the_embedded_model_via_the_cli(tmp_path):
    db = tmp_path / "log.db"
    result = CliRunner().invoke(
        cli, ["--db", str(db), "run", "examples/consistency-local.toml", "--limit", "3"]
    )
    assert result.exit_code == 0, result.output
    store = Store(f"sqlite:///{db}")
    [run] = store.list_runs()
    records = list(store.iter_records(run.id))
    assert len(records) == 3
    for r in records:
        m = r.verdict.metrics
        assert r.verdict.status in ("ok", "unparseable") and r.is_correct is None
        elicited = [t for t in r.turns if t.meta.get("kind") == "elicitation"]
        assert elicited and all(t.model == "local/smollm2" for t in elicited)
        assert m["n_unparseable"] == sum(t.meta["probability"] is None for t in elicited)
        if r.verdict.status == "ok":
            assert m["violation"] is None or 0 <= m["violation"] <= 1
