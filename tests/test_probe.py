"""Judge bias probes: scripted judges with a planted bias (the longer side; their own model's
side) are recovered by the probe table, an unbiased factor reads as no effect, and the probe
runs from an experiment file through the CLI and the report."""

import asyncio
import json
import re

import pytest
from click.testing import CliRunner

from playground.analysis import load_frames
from playground.experiments import parse_experiment, run_experiment
from playground.protocols.probe.manipulate import CONFIDENT, PADDING
from playground.protocols.probe.report import effects
from playground.providers.scripted import ScriptedModel, register_script

N_ITEMS = 16


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "items.jsonl"
    lines = [
        {"id": f"q{i}", "question": f"Which is it ({i})?", "answers": [f"yes{i}", f"no{i}"],
         "correct": i % 2}
        for i in range(N_ITEMS)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines))
    return path


def debater(messages, config):
    """Speeches whose lengths differ by item and side, so a length-loving judge has a pick."""
    system = messages[0].content
    name = re.search(r"You are Debater (\w)", system).group(1)
    n = int(re.search(r"\((\d+)\)", messages[-1].content).group(1))
    words = 3 + n % 5 + (0 if name == "A" else 1 if n % 2 else -1)  # never a tie
    return f"[{name}] " + " ".join(["point"] * words) + "."


def speeches(messages):
    text = messages[-1].content
    labels = re.findall(r"^Answer (\w): ", text, re.MULTILINE)
    said = {label: "" for label in labels}
    for label, line in re.findall(r"^Debater (\w): (.*)$", text, re.MULTILINE):
        said[label] += line
    return labels, said


def longer(messages, config):
    """Planted length bias: picks the side that said more (the speeches never tie)."""
    labels, said = speeches(messages)
    pick = max(labels, key=lambda label: len(said[label]))
    return f"Answer: {pick}\nConfidence: 80"


def own_side(messages, config):
    """Planted self-preference: picks the side whose speeches are debater A's (the judge's
    own model argued A in the logged run)."""
    labels, said = speeches(messages)
    pick = next((label for label in labels if "[A]" in said[label]), labels[0])
    return f"Answer: {pick}\nConfidence: 70"


def logged_run(store, dataset):
    exp = parse_experiment(
        {
            "name": "source",
            "protocol": "debate",
            "dataset": str(dataset),
            "options": {"rounds": 1, "swap_positions": True},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    models = {
        "debater_a": ScriptedModel(debater, name="same"),
        "debater_b": ScriptedModel(debater, name="other"),
        "judge": ScriptedModel(["Answer: A"]),
    }
    return asyncio.run(run_experiment(exp, store, models=models)).info.id


def probe_experiment(run_id, **options):
    return parse_experiment(
        {
            "name": "probe",
            "protocol": "judge_probe",
            "dataset": f"run:{run_id}",
            "seed": 5,
            "options": options,
            "roles": {"judge": {"model": "scripted/x"}},
        }
    )


def table(store):
    frames = load_frames(store)
    return effects(frames, 300)["probe_effects"]


def test_a_planted_length_bias_is_recovered(store, dataset):
    source = logged_run(store, dataset)
    judge = ScriptedModel(longer, name="judge")
    summary = asyncio.run(run_experiment(probe_experiment(source), store, models={"judge": judge}))
    assert summary.info.status == "done"
    records = list(store.iter_records(summary.info.id))
    assert len(records) == 2 * N_ITEMS * 5  # base + four probes per logged transcript
    padded = [c for c in judge.calls if PADDING[0] in c[-1].content]
    assert padded and all(c[-1].content.count(PADDING[0]) == 1 for c in padded)  # one per speech
    assert any(CONFIDENT in c[-1].content for c in judge.calls)
    assert any("Answer X: " in c[-1].content for c in judge.calls)
    rows = table(store).set_index("probe")
    assert set(rows.index) == {"length", "label", "assertiveness", "position"}
    length = rows.loc["length"]
    assert length["pairs"] == 2 * N_ITEMS
    assert length["effect"] > 0.2 and length["ci_low"] > 0  # padded side now wins
    assert length["effect"] == pytest.approx(length["p_probe"] - length["p_base"])
    assert length["p_probe"] == 1.0
    # the judge reads only length: relabelling and reordering change nothing
    for probe in ("label", "position"):
        assert rows.loc[probe, "effect"] == 0 and rows.loc[probe, "ci_low"] == 0
    assert rows.loc["assertiveness", "effect"] > 0  # the prefix is length too, to this judge


def test_self_preference_against_a_reference_judge(store, dataset):
    source = logged_run(store, dataset)
    exp = probe_experiment(source, judges=["judge", "judge_ref"], length=False, label=False,
                           assertiveness=False, position=False)  # fmt: skip
    exp.roles["judge_ref"] = exp.roles["judge"]
    models = {
        "judge": ScriptedModel(own_side, name="same"),
        "judge_ref": ScriptedModel(longer, name="ref"),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    records = list(store.iter_records(summary.info.id))
    assert len(records) == 2 * 2 * N_ITEMS
    metrics = {r.verdict.role: r.verdict.metrics for r in records}
    assert metrics["judge"]["own"] is not None and metrics["judge_ref"]["own"] is None
    (row,) = table(store).to_dict("records")
    assert row["probe"] == "self_preference" and row["pairs"] == 2 * N_ITEMS
    assert row["p_probe"] == 1.0 and row["effect"] > 0 and row["ci_low"] > 0


def test_runs_from_an_experiment_file_and_reports(store, dataset, tmp_path):
    from playground.cli import cli

    source = logged_run(store, dataset)
    register_script("longer", lambda: ScriptedModel(longer, name="longer"))
    path = tmp_path / "probe.toml"
    path.write_text(
        f'name = "probe cli"\nprotocol = "judge_probe"\ndataset = "run:{source}"\n'
        "[options]\nlabel = false\nassertiveness = false\nposition = false\n"
        '[roles.judge]\nmodel = "scripted/longer"\n'
    )
    runner = CliRunner()
    ran = runner.invoke(cli, ["run", str(path)], catch_exceptions=False)  # PLAYGROUND_DB = store
    assert ran.exit_code == 0, ran.output
    report = runner.invoke(cli, ["report"], catch_exceptions=False)
    assert report.exit_code == 0, report.output
    assert "Judge bias probes" in report.output, report.output
    assert re.search(r"probe cli .*length\s+as logged\s+32\s", report.output), report.output


def test_a_run_without_debates_is_refused(store, tiny_dataset):
    exp = parse_experiment(
        {
            "name": "blind",
            "protocol": "blind",
            "dataset": str(tiny_dataset),
            "roles": {"judge": {"model": "scripted/x"}},
        }
    )
    run_id = asyncio.run(
        run_experiment(exp, store, models={"judge": ScriptedModel(["Answer: A"])})
    ).info.id
    with pytest.raises(Exception, match="no debate or consultancy transcripts"):
        judge = {"judge": ScriptedModel(["Answer: A"])}
        asyncio.run(run_experiment(probe_experiment(run_id), store, models=judge))


def test_a_structured_judge_is_read_in_its_mode_with_the_probe_labels(
    store, dataset, openai_server, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    source = logged_run(store, dataset)

    def structured(body):
        assert body.get("response_format"), "the probe judge must ask for the schema"
        text = body["messages"][-1]["content"]
        first = re.search(r"^Answer (\w): ", text, re.MULTILINE).group(1)
        return json.dumps({"answer": first, "confidence": 80, "reasoning": "shown first"})

    openai_server.responder = structured
    exp = probe_experiment(source, length=False, assertiveness=False)
    exp.roles["judge"] = exp.roles["judge"].model_copy(
        update={"model": "openai/j", "base_url": openai_server.base_url,
                "verdict_mode": "structured"}
    )  # fmt: skip
    summary = asyncio.run(run_experiment(exp, store))
    records = list(store.iter_records(summary.info.id))
    assert len(records) == 2 * N_ITEMS * 3
    assert {r.verdict.status for r in records} == {"ok"}  # X/Y read as labels, not unparseable
    rows = table(store).set_index("probe")
    assert rows.loc["label", "effect"] == 0  # picks the first shown, whatever its label
    assert rows.loc["position", "effect"] == 1.0 and rows.loc["position", "p_base"] == 0
