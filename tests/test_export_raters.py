"""Exports name study participants by pseudonymous rater ids, emails only when asked."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from study_fixtures import debate_run, drain, study

from playground.cli import cli
from playground.team.raters import pseudonym

PEOPLE = ("ana@lab.example", "bo@lab.example")


@pytest.fixture
def judged(store, tiny_dataset):
    """A scripted debate run judged by two people through a study."""
    run_id = debate_run(store, tiny_dataset)
    sid = study(store, run_id, k=1)
    for person in PEOPLE:
        drain(store, sid, person)
    return run_id


def files_text(path) -> str:
    if path.suffix == "" and path.name.startswith("parquet"):
        import pandas as pd

        return pd.read_parquet(path).to_json()
    if path.is_dir():
        return "".join(p.read_bytes().decode("latin-1") for p in sorted(path.iterdir()))
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "markdown"])
def test_exports_carry_rater_ids_and_emails_only_when_asked(store, judged, tmp_path, fmt):
    ids = {p: pseudonym(store, p) for p in PEOPLE}
    assert len(set(ids.values())) == 2 and all(i.startswith("rater-") for i in ids.values())
    runner = CliRunner()
    for emails in (False, True):
        out = tmp_path / f"{fmt}-{emails}"
        args = ["export", "--format", fmt, "--out", str(out), "--run", judged]
        result = runner.invoke(cli, args + (["--with-emails"] if emails else []))
        assert result.exit_code == 0, result.output
        text = files_text(out)
        if fmt == "csv":
            text += files_text(out.with_name(f"{out.name}.turns"))
        if fmt != "markdown":
            for person, rater in ids.items():
                assert (person in text) is emails
                assert (rater in text) is not emails
        elif not emails:  # transcripts as read: no person is named, and no email leaks
            assert not any(person in text for person in PEOPLE)


def test_jsonl_rater_ids_are_stable_and_keep_the_record_shape(store, judged, tmp_path):
    out = tmp_path / "a.jsonl"
    assert CliRunner().invoke(cli, ["export", "--out", str(out), "--run", judged]).exit_code == 0
    people = [json.loads(line) for line in out.read_text().splitlines()]
    human = [r for r in people if r["verdict"]["role"] == "human_judge"]
    assert {r["verdict"]["metrics"]["person"] for r in human} == {
        pseudonym(store, p) for p in PEOPLE
    }
    assert {r["provenance"]["roles"]["human_judge"]["params"]["person"] for r in human} == {
        pseudonym(store, p) for p in PEOPLE
    }
    again = tmp_path / "b.jsonl"
    CliRunner().invoke(cli, ["export", "--out", str(again), "--run", judged])
    assert again.read_text() == out.read_text()
