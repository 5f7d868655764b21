"""`playground export` in every format and `playground report`: flat CSV/Parquet with a turns
table alongside, Markdown transcripts, filters as on the page, the report's sections."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from test_debate import debater, experiment, run

from playground.cli import cli
from playground.export.flat import VERDICT_EXPORT
from playground.store.tags import set_run_tags


def invoke(store, *args):
    result = CliRunner().invoke(cli, ["--db", str(store.url.database), *args])
    assert result.exit_code == 0, result.output
    return result


def loud(messages, config):
    """Debater A tries to smuggle HTML into the transcript."""
    return debater(messages, config) + " <script>alert(1)</script> & more"


@pytest.fixture
def two_runs(store, tiny_dataset):
    first, _ = run(experiment(tiny_dataset, swap_positions=True), store, debaters=loud)
    second, _ = run(experiment(tiny_dataset), store, judge_replies=["Answer: B\nConfidence: 60"])
    set_run_tags(store, first.info.id, ["swap"])
    return store, first.info.id, second.info.id


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_export_has_a_row_per_verdict_and_a_turns_table(two_runs, tmp_path, fmt):
    store, first, _ = two_runs
    out = tmp_path / f"out.{fmt}"
    invoke(store, "export", "--format", fmt, "--out", str(out), "--run", first)
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    verdicts, turns = read(out), read(tmp_path / f"out.turns.{fmt}")
    assert list(verdicts.columns[: len(VERDICT_EXPORT)]) == VERDICT_EXPORT
    assert {"model.judge", "prompt.judge", "seat.debater_a", "option.rounds"} <= set(
        verdicts.columns
    )
    assert len(verdicts) == 6 and set(verdicts["run_id"]) == {first}
    assert len(turns) == 6 * 5  # 2 rounds × 2 debaters + the judge, per transcript
    assert {"index", "role", "round", "content", "params", "meta", "latency_ms"} <= set(
        turns.columns
    )
    # a verdict's own judge call is its transcript's turn at turn_index
    judge = verdicts.merge(turns, left_on=["transcript_id", "turn_index"],
                           right_on=["transcript_id", "index"])  # fmt: skip
    assert len(judge) == 6 and set(judge["role"]) == {"judge"}
    assert (judge["raw"] == judge["content"]).all()
    row = verdicts.iloc[0]
    assert json.loads(row["answers"])[int(row["correct"])]
    assert json.loads(row["display_order"]) in ([0, 1], [1, 0], [1, 2], [2, 1], [0, 2], [2, 0])
    assert json.loads(row["run_tags"]) == ["swap"]
    assert sum(json.loads(row["credences"])) == pytest.approx(1)


def test_filters_apply_to_every_format(two_runs, tmp_path):
    store, first, _ = two_runs
    out = tmp_path / "tagged.jsonl"
    invoke(store, "export", "--out", str(out), "--tag", "swap")
    assert {json.loads(line)["run_id"] for line in out.read_text().splitlines()} == {first}
    invoke(store, "export", "--out", str(out), "--exclude-tag", "swap", "--option", "rounds=2")
    assert len(out.read_text().splitlines()) == 3
    csv = tmp_path / "none.csv"
    invoke(store, "export", "--format", "csv", "--out", str(csv), "--model", "judge=nobody/none")
    assert pd.read_csv(csv).empty


def test_markdown_transcript_of_one_item(two_runs, tmp_path):
    store, first, _ = two_runs
    text = invoke(store, "export", "--format", "markdown", "--run", first, "--item", "q1",
                  "--out", "-").stdout  # fmt: skip
    assert text.startswith("# What colour is the sky in the story?")
    assert "Blue  ✓ correct" in text
    assert "> The sky over Tarn was blue all summer." in text  # the passage, quoted
    assert "## Original order" in text and "## Positions swapped" in text
    assert "### Round 1" in text and "### Round 2" in text
    assert text.count("**Verdict** (judge): ok") == 2
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text
    every = invoke(store, "export", "--format", "markdown", "--run", first, "--out",
                   str(tmp_path / "md")).stderr  # fmt: skip
    assert "wrote 3 item files" in every
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == ["q1.md", "q2.md", "q3.md"]


def test_report_prints_every_section_and_says_when_there_is_no_data(two_runs, tmp_path):
    store, first, _ = two_runs
    result = invoke(store, "report", "--reps", "20", "--csv-dir", str(tmp_path / "tables"))
    out = result.stdout
    assert out.startswith("9 verdicts in 2 run(s) · all verdicts")
    for title in ("Judge accuracy", "Position bias", "Cross-judge agreement", "Ratings",
                  "Calibration", "Cost, tokens and latency", "Consistency violations"):  # fmt: skip
        assert f"== {title}" in out
    assert "no data for this yet (needs transcripts judged more than once" in out
    assert (tmp_path / "tables" / "accuracy.accuracy.csv").exists()
    only = invoke(store, "report", "--run", first, "--section", "position").stdout
    assert "== Position bias ==" in only and "Judge accuracy" not in only
    assert "runs=" + first in only


def test_report_on_an_empty_store(store):
    out = invoke(store, "report", "--reps", "0").stdout
    assert out.startswith("0 verdicts in 0 run(s)")
    assert out.count("no data for this yet") >= 10


def test_bad_filter_is_one_line(store):
    result = CliRunner().invoke(
        cli, ["--db", str(store.url.database), "report", "--model", "judge"]
    )
    assert result.exit_code == 2 and "--model: expected NAME=VALUE" in result.output
    result = CliRunner().invoke(cli, ["--db", str(store.url.database), "report", "--run", "nope"])
    assert result.exit_code == 2 and "no run 'nope'" in result.output
