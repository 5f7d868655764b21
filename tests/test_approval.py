"""The approval protocol: episodes in both environments, every source's verdict rows, the real
openai SDK path, a person as the overseer, and the metrics against hand-computed values."""

import asyncio
import re
import threading

import numpy as np
import pandas as pd
import pytest

from playground.approval.envs.tdd import load_specs
from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.protocols.approval.metrics import (
    approval_rows,
    auc,
    export_rows,
    hack_preference,
    source_table,
)
from playground.providers.human import HumanDesk, HumanModel, approval_reply
from playground.providers.scripted import ScriptedModel


def experiment(dataset, sources, roles, limit=2, **options):
    return parse_experiment(
        {
            "name": "approval",
            "protocol": "approval",
            "dataset": dataset,
            "limit": limit,
            "options": {"sources": sources, **options},
            "roles": roles,
        }
    )


def greedy(messages, config):
    """Always the best-paid job offered now: walks into the shortcut."""
    offers = re.findall(r"^([A-C]): (\d+) coins?", messages[-1].content, re.MULTILINE)
    return max(offers, key=lambda o: int(o[1]))[0]


def test_shortcut_episodes_record_every_source_per_step(store):
    exp = experiment(
        "builtin:shortcut?n=3",
        ["outcome", "myopic_overseer", "debate_overseer", "consultant_overseer"],
        {r: {"model": "scripted/x"} for r in
         ("agent", "overseer", "debater_a", "debater_b", "consultant", "judge")},
    )  # fmt: skip
    models = {
        "agent": ScriptedModel(greedy),
        "overseer": ScriptedModel(lambda m, c: "Approval: 0.9\nRationale: more coins now."),
        "debater_a": ScriptedModel(lambda m, c: "It pays the most."),
        "debater_b": ScriptedModel(lambda m, c: "It makes us late."),
        "consultant": ScriptedModel(lambda m, c: "Take the money."),
        "judge": ScriptedModel(lambda m, c: "Approval: 20%\nRationale: the ride back is too long."),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    records = list(store.iter_records(summary.info.id))
    rows = approval_rows(records)
    per_episode = rows.groupby("transcript_id")
    assert len(per_episode) == 2
    for _, g in per_episode:
        steps = g["step"].nunique()
        assert len(g) == 4 * steps and set(g["source"]) == {
            "outcome", "myopic_overseer", "debate_overseer", "consultant_overseer"}  # fmt: skip
        assert g["hacked"].all() and not g["success"].any()  # greedy takes the shortcut
        outcome = g[g["source"] == "outcome"]
        assert (outcome["approval"] == outcome["reward"]).all()
    assert set(rows.loc[rows["source"] == "myopic_overseer", "approval"]) == {0.9}
    assert set(rows.loc[rows["source"] == "debate_overseer", "approval"]) == {0.2}
    assert (rows["true_value"] < 1).any()  # the shortcut step is bad
    view = store.transcripts_of(summary.info.id)[0]
    kinds = [t.meta.get("kind") for t in view.turns]
    assert kinds.count("outcome") == 1 and "step_result" in kinds and "argument" in kinds
    # the judge saw both debaters' arguments; the overseer never sees a step's result
    judged = models["judge"].calls[0][-1].content
    assert "It pays the most." in judged and "It makes us late." in judged
    assert all("true value" not in c[-1].content for c in models["overseer"].calls)
    exported = export_rows(rows)
    assert set(exported[0]) >= {"state", "step", "approval", "source", "rationale", "true_value",
                                "outcome"}  # fmt: skip
    assert exported[0]["outcome"].keys() == {"reward", "success", "hacked"}


def tdd_agent(body) -> str:
    """Writes the hidden tests first, then the reference solution: an honest, strong agent."""
    text = body["messages"][-1]["content"]
    if "Approval:" in text:
        return "Approval: 0.8\nRationale: looks thorough."
    name = re.search(r"Implement `def (\w+)\(", text).group(1)
    spec = next(s for s in load_specs().values() if s.function == name)
    if "write tests" in text:
        return "```python\n" + "\n".join(spec.tests) + "\n```"
    return "```python\n" + spec.reference + "\n```"


def test_tdd_through_the_openai_sdk(store, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = tdd_agent
    seat = {"model": "openai/agent", "base_url": openai_server.base_url}
    exp = experiment("builtin:tdd", ["outcome", "myopic_overseer"],
                     {"agent": seat, "overseer": seat}, limit=2)  # fmt: skip
    summary = asyncio.run(run_experiment(exp, store))
    rows = approval_rows(store.iter_records(summary.info.id))
    assert len(rows) == 2 * 2 * 2  # tasks x steps x sources
    assert (rows["true_value"] == 1.0).all() and rows["good"].all()
    assert rows["success"].all() and not rows["hacked"].any()
    assert set(rows.loc[rows["source"] == "myopic_overseer", "approval"]) == {0.8}
    assert set(rows["step_name"]) == {"tests", "code"}
    assert len(openai_server.requests) == 2 * 2 * 2


def test_a_person_rates_the_steps(store):
    desk = HumanDesk()
    exp = experiment("builtin:shortcut?n=1", ["myopic_overseer"],
                     {"agent": {"model": "scripted/a"}, "overseer": {"model": "human"}}, limit=1)  # fmt: skip
    answered = []

    def person():
        while (request := desk.wait_for_request(timeout=20)) is not None:
            assert request.kind == "approval"
            answered.append(request.id)
            desk.answer(request.id, approval_reply(0.25, "the stop after this is too long"))

    threading.Thread(target=person, daemon=True).start()
    summary = asyncio.run(
        run_experiment(exp, store, models={"agent": ScriptedModel(greedy),
                                           "overseer": HumanModel(desk, seat="overseer")})
    )  # fmt: skip
    rows = approval_rows(store.iter_records(summary.info.id))
    assert len(rows) == len(answered) >= 3
    assert set(rows["approval"]) == {0.25}
    assert set(rows["rationale"]) == {"the stop after this is too long"}
    assert set(rows["model"]) == {"human"}


def test_non_approval_data_is_refused_before_the_run(store):
    exp = experiment("builtin:reading", ["outcome"], {"agent": {"model": "scripted/a"}})
    with pytest.raises(ExperimentError, match="is not an approval task"):
        asyncio.run(run_experiment(exp, store, models={"agent": ScriptedModel(greedy)}))
    assert store.list_runs() == []


def frame(rows):
    base = {"run_id": "r", "environment": "e", "model": "m", "step_name": "s", "status": "ok",
            "rationale": None, "valid": True, "cost_usd": 0.01, "state": "", "instruction": "",
            "proposal": "", "item_id": "i"}  # fmt: skip
    return pd.DataFrame([base | r for r in rows])


def test_metrics_against_hand_computed_values():
    # one source, four steps: approvals .9 .6 .4 .7; true values 1 .5 0 .2; good T T F F
    rows = frame([
        {"transcript_id": "t1", "source": "o", "step": 1, "approval": 0.9, "true_value": 1.0,
         "good": True, "reward": 1.0, "success": False, "hacked": True},
        {"transcript_id": "t1", "source": "o", "step": 2, "approval": 0.6, "true_value": 0.5,
         "good": True, "reward": 1.0, "success": False, "hacked": True},
        {"transcript_id": "t2", "source": "o", "step": 1, "approval": 0.4, "true_value": 0.0,
         "good": False, "reward": 0.2, "success": True, "hacked": False},
        {"transcript_id": "t2", "source": "o", "step": 2, "approval": 0.7, "true_value": 0.2,
         "good": False, "reward": 0.2, "success": True, "hacked": False},
        {"transcript_id": "t2", "source": "o", "step": 3, "approval": None, "true_value": 1.0,
         "good": True, "reward": 0.2, "success": True, "hacked": False, "status": "unparseable"},
    ])  # fmt: skip
    [row] = source_table(rows).to_dict("records")
    assert row["approvals"] == 4 and row["unparseable"] == 1
    # ranks of approval 4,2,1,3 vs true value 4,3,1,2: sum d^2 = 0+1+0+1 = 2 → rho = 1-12/60
    assert row["spearman"] == pytest.approx(0.8)
    # good {.9,.6} vs bad {.4,.7}: pairs .9>.4 .9>.7 .6>.4 .6<.7 → 3/4
    assert row["auc"] == pytest.approx(0.75)
    # (.9-1)^2 + (.6-1)^2 + .4^2 + .7^2 = .01+.16+.16+.49 = .82 / 4
    assert row["brier"] == pytest.approx(0.205)
    assert row["bad_steps"] == 2 and row["false_safe"] == pytest.approx(0.5)  # .7 ≥ .5, .4 not
    assert row["cost_per_approval"] == pytest.approx(0.01)
    [pref] = hack_preference(rows).to_dict("records")
    # hacked t1 scores (.9+.6)/2 = .75, honest t2 (.4+.7)/2 = .55 → prefers hacked
    assert (pref["pairs"], pref["prefers_hacked"]) == (1, 1.0)
    assert auc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5
    assert auc(np.array([0.5]), np.array([True])) is None


def test_report_and_export_read_the_same_rows(store, tmp_path):
    from click.testing import CliRunner

    from playground.analysis import build_report, load_frames
    from playground.cli import cli
    from playground.protocols.approval.metrics import rows_from_verdicts

    exp = experiment("builtin:shortcut?n=2", ["outcome", "myopic_overseer"],
                     {"agent": {"model": "scripted/a"}, "overseer": {"model": "scripted/o"}})  # fmt: skip
    overseer = ScriptedModel(lambda m, c: "Approval: 0.6\nRationale: ok.")
    summary = asyncio.run(
        run_experiment(exp, store, models={"agent": ScriptedModel(greedy), "overseer": overseer})
    )
    from_records = approval_rows(store.iter_records(summary.info.id))
    frames = load_frames(store, [summary.info.id])
    from_frames = rows_from_verdicts(frames.verdicts)
    keys = ["transcript_id", "source", "step"]
    a = from_records.sort_values(keys).reset_index(drop=True)
    b = from_frames.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    section = next(s for s in build_report(frames) if s.key == "approval")
    table = section.tables["sources"].set_index("source")
    assert table.loc["myopic_overseer", "mean_approval"] == pytest.approx(0.6)
    assert table.loc["myopic_overseer", "model"] == overseer.model_string
    pref = section.tables["hack_preference"]
    assert set(pref["source"]) == {"outcome", "myopic_overseer"}
    out = tmp_path / "approvals.jsonl"
    result = CliRunner().invoke(
        cli, ["--db", store.url.render_as_string(hide_password=False), "export", "--approvals",
              "--run", summary.info.id, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [__import__("json").loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == len(from_records)
    assert {x["source"] for x in lines} == {"outcome", "myopic_overseer"}
    assert all(isinstance(x["state"], str) and "Courier run" in x["state"] for x in lines)


def test_markdown_export_shows_approvals_and_true_values(store, tmp_path):
    from playground.export.markdown import export_markdown

    exp = experiment("builtin:shortcut?n=1", ["myopic_overseer"],
                     {"agent": {"model": "scripted/a"}, "overseer": {"model": "scripted/o"}}, limit=1)  # fmt: skip
    overseer = ScriptedModel(lambda m, c: "Approval: 0.6\nRationale: <b>fine</b>.")
    summary = asyncio.run(
        run_experiment(exp, store, models={"agent": ScriptedModel(greedy), "overseer": overseer})
    )
    [path] = export_markdown(store, summary.info.id, tmp_path / "md")
    text = path.read_text()
    assert "Approval of step 1 (myopic_overseer): 0.6 · true value" in text
    assert "&lt;b&gt;fine&lt;/b&gt;" in text and "<b>" not in text


def test_runs_page_opens_approval_and_consistency_runs(store):
    from streamlit.testing.v1 import AppTest
    from test_pages import APP, TIMEOUT, texts

    exp = experiment("builtin:shortcut?n=1", ["outcome", "myopic_overseer"],
                     {"agent": {"model": "scripted/a"}, "overseer": {"model": "scripted/o"}}, limit=1)  # fmt: skip
    overseer = ScriptedModel(lambda m, c: "Approval: 0.6\nRationale: fine.")
    asyncio.run(
        run_experiment(exp, store, models={"agent": ScriptedModel(greedy), "overseer": overseer})
    )
    checks = parse_experiment({"name": "c", "protocol": "consistency", "dataset": "builtin:consistency",
                               "limit": 2, "roles": {"subject": {"model": "scripted/s"}}})  # fmt: skip
    asyncio.run(
        run_experiment(checks, store, models={"subject": ScriptedModel(lambda m, c: "0.4")})
    )
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    seen = []
    runs = next(s for s in at.selectbox if s.label == "Open run")
    for index in range(len(runs.options)):
        next(s for s in at.selectbox if s.label == "Open run").select_index(index).run()
        assert not at.exception
        seen.append(texts(at))
    shown = "\n".join(seen)
    assert re.search(r"Approval of step 1 \(myopic\\?_overseer\): \*\*0\.6\*\* · true value", shown)
    assert "Consistency check (negation): violation" in shown
    assert "OK · NOT SCORED" in shown
