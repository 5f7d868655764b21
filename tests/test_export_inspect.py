"""Inspect eval logs both ways, checked with inspect_ai itself: runs exported as logs that
`read_eval_log` reads back field for field (and `list_eval_logs`, which `inspect view` uses,
finds); a multiple-choice log built from inspect_ai's own types imports as judge verdicts that
the store and the analysis frame hold beside playground runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_protocol_family import run as run_protocol
from test_verdict_turns import CASES, run_case

from playground.analysis import load_frames
from playground.cli import cli

inspect_log = pytest.importorskip("inspect_ai.log")  # the dev extra installs it
from inspect_ai.log import (  # noqa: E402
    EvalConfig,
    EvalDataset,
    EvalError,
    EvalLog,
    EvalSample,
    EvalSpec,
    list_eval_logs,
    read_eval_log,
    write_eval_log,
)
from inspect_ai.model import (  # noqa: E402
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.scorer import CORRECT, INCORRECT, Score  # noqa: E402


def test_runs_export_as_logs_that_inspect_reads_back(store, tiny_dataset, tmp_path):
    records, _ = run_protocol(
        store, tiny_dataset, "debate", ["debater_a", "debater_b", "judge", "judge_b"],
        judges=["judge", "judge_b"], swap_positions=True, rounds=2,
    )  # fmt: skip
    run_id = records[0].run_id
    out = tmp_path / "logs"
    result = CliRunner().invoke(
        cli, ["--db", str(store.url.database), "export", "--format", "inspect", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    paths = sorted(out.glob("*.eval"))
    assert len(paths) == 2  # one per judge: the seat that gave the verdicts differs
    assert sorted(str(p) for p in paths) == sorted(result.stdout.split())
    # what `inspect view` lists, task and id parsed from the file names as Inspect names them
    listed = list_eval_logs(str(out))
    headers = [read_eval_log(str(p), header_only=True).eval for p in paths]
    assert sorted(i.task_id for i in listed) == sorted(h.task_id for h in headers)
    assert {i.task for i in listed} == {"playground-debate"}

    by_verdict = {r.verdict_id: r for r in records}
    seen = set()
    for path in paths:
        log = read_eval_log(str(path))
        meta = log.eval.metadata["playground"]
        assert log.status == "success" and log.eval.run_id == run_id
        assert meta["protocol"] == "debate" and meta["run_id"] == run_id
        role = meta["verdict_role"]
        some = next(r for r in records if r.verdict.role == role)
        assert log.eval.model == some.provenance.roles[role].model
        assert log.eval.task == "playground/debate"
        assert set(log.eval.model_roles) == {"debater_a", "debater_b", "judge", "judge_b"} - {role}
        assert log.eval.task_args["rounds"] == 2 and log.eval.dataset.location == str(tiny_dataset)
        assert len(log.samples) == 6  # 3 items x 2 positions
        assert len({(s.id, s.epoch) for s in log.samples}) == 6
        for sample in log.samples:
            pg = sample.metadata["playground"]
            record = by_verdict[pg["verdict_id"]]
            seen.add(record.verdict_id)
            assert record.verdict.role == role and pg["transcript_id"] == record.transcript_id
            assert sample.id == record.item_id + ("/swapped" if record.assignment.swapped else "")
            assert sample.input == record.question and sample.choices == record.answers
            assert sample.target == "ABC"[record.correct]
            assert sample.metadata["assignment"] == record.assignment.model_dump(mode="json")
            assert sample.metadata["provenance"] == record.provenance.model_dump(mode="json")
            score = sample.scores["verdict"]
            assert score.value == (CORRECT if record.is_correct else INCORRECT)
            assert score.answer == "ABC"[record.verdict.choice]
            assert score.explanation == record.verdict.raw
            assert score.metadata["credences"] == record.verdict.credences
            assert score.metadata["turn_index"] == record.verdict.turn_index
            assert sample.output.completion == record.verdict.raw
            # the question, then every turn of the record in order, seat and round kept
            assert sample.messages[0].text == record.question
            turns = sample.messages[1:]
            assert [m.text for m in turns] == [t.content for t in record.turns]
            assert [m.metadata["role"] for m in turns] == [t.role for t in record.turns]
            assert [m.metadata.get("round") for m in turns] == [t.round for t in record.turns]
            words = sum(t.input_tokens for t in record.turns)
            assert sum(u.input_tokens for u in sample.model_usage.values()) == words
        ok = [r for r in records if r.verdict.role == role]
        [metric] = log.results.scores
        expected = sum(bool(r.is_correct) for r in ok) / len(ok)
        assert metric.metrics["accuracy"].value == pytest.approx(expected)
    assert seen == set(by_verdict)


def test_a_unparseable_verdict_is_no_answer_and_stdout_is_refused(store, tiny_dataset, tmp_path):
    from test_debate import experiment, run

    from playground.export.inspect import export_inspect

    summary, _ = run(experiment(tiny_dataset), store, judge_replies=["no idea"])
    [path] = export_inspect(store, tmp_path, [summary.info.id])
    log = read_eval_log(str(path))
    assert {s.scores["verdict"].value for s in log.samples} == {"N"}
    assert {s.scores["verdict"].metadata["status"] for s in log.samples} == {"unparseable"}
    assert log.results.scores[0].metrics["parsed"].value == 0
    assert log.status == "success"
    store.finish_run(summary.info.id, "failed")  # a run that stopped is no successful eval
    [path] = export_inspect(store, tmp_path / "failed", [summary.info.id])
    failed = read_eval_log(str(path))
    assert failed.status == "error" and failed.error.message == "the run failed"
    store.finish_run(summary.info.id, "budget")  # stopped at a budget: not a finished eval
    [path] = export_inspect(store, tmp_path / "budget", [summary.info.id])
    assert read_eval_log(str(path)).status == "cancelled"
    bad = CliRunner().invoke(cli, ["--db", str(store.url.database), "export", "--format",
                                   "inspect", "--out", "-"])  # fmt: skip
    assert bad.exit_code == 2 and "inspect writes a directory" in bad.output


def mc_sample(n, answer, target, *, shuffled=False, error=None):
    choices = ["Paris", "Berlin", "Madrid", "Rome"]
    reply = f"I think it is {answer}.\n\nANSWER: {answer}" if answer else "I cannot tell."
    explanation = reply
    if shuffled:
        explanation = (
            "Choices were shuffled before generating a response, the following was sent to the "
            "model:\n\nA) Rome\nB) Paris\nC) Berlin\nD) Madrid\nShuffled answer:\nANSWER: B"
        )
    return EvalSample(
        id=f"capital-{n}",
        epoch=1,
        input="What is the capital of France?",
        choices=choices,
        target=target,
        messages=[
            ChatMessageSystem(content="Answer with a letter."),
            ChatMessageUser(content="What is the capital of France?\n\nA) Paris\nB) Berlin"),
            ChatMessageAssistant(content=reply, model="gpt-4o-mini-2024-07-18"),
        ],
        output=ModelOutput.from_content("openai/gpt-4o-mini", reply),
        scores={"choice": Score(value=CORRECT if answer == target else INCORRECT,
                                answer=answer, explanation=explanation)},
        model_usage={"openai/gpt-4o-mini": ModelUsage(input_tokens=40 + n, output_tokens=9,
                                                      total_tokens=49 + n)},
        error=EvalError(message="rate limited\nfor good", traceback="", traceback_ansi="")
        if error else None,
    )  # fmt: skip


def mc_log(samples):
    return EvalLog(
        eval=EvalSpec(
            eval_id="E7x9", run_id="R1", created="2026-11-02T10:00:00+00:00", task="capitals",
            dataset=EvalDataset(name="capitals", location="capitals.csv", samples=len(samples)),
            model="openai/gpt-4o-mini", model_generate_config=GenerateConfig(temperature=0.0),
            config=EvalConfig(), packages={"inspect_ai": "0.3.285"},
        ),
        samples=samples,
    )  # fmt: skip


def test_a_multiple_choice_log_imports_as_judge_verdicts(store, tiny_dataset, tmp_path):
    blind, _ = run_protocol(store, tiny_dataset, "blind", ["judge"])  # a playground run beside it
    samples = [
        mc_sample(1, "A", "A"),
        mc_sample(2, "C", "A"),
        mc_sample(3, "", "A"),
        mc_sample(4, "A", "A", shuffled=True),
        mc_sample(5, "A", "A", error=True),
    ]
    path = tmp_path / "capitals.eval"
    write_eval_log(mc_log(samples), str(path))
    db = str(store.url.database)
    result = CliRunner().invoke(cli, ["--db", db, "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "imported 1 run(s): 5 transcripts, 5 turns, 5 verdicts"
    info = store.get_run("inspect-E7x9")
    assert info.protocol == "inspect" and info.tags == ["imported", "inspect"]
    assert info.name == "capitals · openai/gpt-4o-mini" and info.source == "import"
    records = {r.item_id: r for r in store.iter_records("inspect-E7x9")}
    first = records["capital-1"]
    assert first.verdict.status == "ok" and first.verdict.choice == 0 and first.is_correct is True
    assert first.answers == ["Paris", "Berlin", "Madrid", "Rome"] and first.correct == 0
    [turn] = first.turns
    assert first.verdict.turn_index == turn.index and turn.model == "openai/gpt-4o-mini"
    assert turn.resolved_model == "gpt-4o-mini-2024-07-18" and turn.input_tokens == 41
    assert first.verdict.metrics == {"inspect_scorer": "choice", "inspect_value": "C"}
    assert first.provenance.roles["judge"].params == {"temperature": 0.0}
    assert records["capital-2"].verdict.choice == 2 and records["capital-2"].is_correct is False
    third = records["capital-3"].verdict
    assert third.status == "unparseable" and third.raw == "I cannot tell." and third.choice is None
    shuffled = records["capital-4"]
    assert shuffled.assignment.display_order == [3, 0, 1, 2] and shuffled.is_correct is True
    failed = records["capital-5"]
    assert failed.verdict.status == "error" and failed.verdict.reason == "rate limited for good"

    frame = load_frames(store).verdicts.set_index("verdict_id")
    imported = frame[frame["run_id"] == "inspect-E7x9"]
    assert len(imported) == 5 and set(frame["run_id"]) == {"inspect-E7x9", blind[0].run_id}
    row = imported.loc[first.verdict_id]
    assert row["judge_model"] == "openai/gpt-4o-mini" and row["protocol"] == "inspect"
    assert bool(row["is_correct"]) is True
    assert imported["status"].value_counts().to_dict() == {"ok": 3, "unparseable": 1, "error": 1}
    again = CliRunner().invoke(cli, ["--db", db, "import", str(path)])
    assert again.exit_code == 2 and "run 'inspect-E7x9' is already in" in again.output


def test_logs_that_are_not_single_answer_multiple_choice_are_refused(store, tmp_path):
    db = str(store.url.database)
    multi = mc_sample(1, "A", "A").model_copy(update={"target": ["A", "C"]})
    path = tmp_path / "multi.eval"
    write_eval_log(mc_log([mc_sample(2, "A", "A"), multi]), str(path))
    result = CliRunner().invoke(cli, ["--db", db, "import", str(path)])
    assert result.exit_code == 2
    assert (
        "multi.eval sample 'capital-1' epoch 1: target ['A', 'C'] is not one answer letter"
        in result.output
    )
    open_ended = mc_sample(1, "A", "A").model_copy(update={"choices": None})
    path = tmp_path / "open.json"
    write_eval_log(mc_log([open_ended]), str(path), format="json")
    result = CliRunner().invoke(cli, ["--db", db, "import", str(path)])
    assert (
        result.exit_code == 2 and "no choices (only multiple-choice evals import)" in result.output
    )
    junk = tmp_path / "junk.eval"
    junk.write_text("not a zip")
    result = CliRunner().invoke(cli, ["--db", db, "import", str(junk)])
    assert result.exit_code == 2 and "junk.eval: not an Inspect eval log" in result.output
    assert store.list_runs() == []  # fmt: skip


def test_the_cli_does_not_import_inspect_ai_until_asked():
    code = "import sys, playground.cli as c; c.cli(['--help'], standalone_mode=False); print(sorted(m for m in sys.modules if m.startswith('inspect_ai')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("protocol", sorted(CASES))
def test_every_protocol_exports_a_log_inspect_reads(protocol, store, tiny_dataset, tmp_path):
    from playground.export.inspect import export_inspect

    summary, records = run_case(protocol, store, tiny_dataset, tmp_path)
    paths = export_inspect(store, tmp_path / "logs", [summary.info.id])
    logs = [read_eval_log(str(p)) for p in paths]
    samples = [s for log in logs for s in log.samples]
    assert sorted(s.metadata["playground"]["verdict_id"] for s in samples) == sorted(
        r.verdict_id for r in records
    )
    roles = {log.eval.metadata["playground"]["verdict_role"] for log in logs}
    assert roles == {r.verdict.role for r in records}
    for log in logs:  # one seat configuration each, every sample id once
        assert len({(s.id, s.epoch) for s in log.samples}) == len(log.samples)
        assert {s.metadata["playground"]["protocol"] for s in log.samples} == {protocol}


def test_the_analysis_page_downloads_the_selection_as_inspect_logs(store, tiny_dataset, tmp_path):
    import io
    import zipfile

    from test_pages import single_page

    from playground.export.inspect import inspect_zip

    records, _ = run_protocol(store, tiny_dataset, "blind", ["judge"])
    at = single_page(tmp_path, "analysis.py", "Analysis").run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Inspect logs (zip)" in labels
    archive = zipfile.ZipFile(io.BytesIO(inspect_zip(store, [records[0].run_id])))
    [name] = archive.namelist()
    archive.extractall(tmp_path / "unzipped")
    log = read_eval_log(str(tmp_path / "unzipped" / name))
    assert len(log.samples) == len(records) and name.endswith(".eval")
