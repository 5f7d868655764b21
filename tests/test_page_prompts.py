"""The Prompts page under `AppTest`: it lists versions, checks variables as you type, saves a
version with its parent, diffs it, exports it, and A/Bs it against the original."""

from __future__ import annotations

import html
from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_pages import settle

from playground.prompting import list_versions
from playground.prompts import get_prompt, load_template
from playground.providers.scripted import ScriptedModel, register_script

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 60
MARK = "If unsure, prefer Answer B."


def open_prompts() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/prompts.py").run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [c.value for c in at.code] + [e.value for e in at.error] + [s.value for s in at.success]
    )
    return "\n".join(parts)


def content_key(at: AppTest, n: int) -> str:
    judge = get_prompt("debate/judge")
    return f"prompts.edit.{judge.hash[:12]}.{n}.content"


def save_edit(at: AppTest, note: str = "prefer B when unsure") -> None:
    area = at.text_area(key=content_key(at, 1))
    area.set_value(area.value + "\n" + MARK).run()  # the page reruns as the text is committed
    at.text_input(key=f"prompts.edit.{get_prompt('debate/judge').hash[:12]}.note").set_value(note)
    at.button(key="prompts.save").click().run()
    assert not at.exception


def test_page_lists_versions_per_role(store):
    at = open_prompts()
    assert at.title[0].value == "Prompts"
    assert at.selectbox(key="prompts.role").value == "judge"
    table = at.dataframe[0].value
    judge = get_prompt("debate/judge")
    assert f"debate/judge@{judge.hash[:12]}" in set(table["Version"])
    assert set(table["Role"]) == {"judge"}
    assert table.loc[table["Version"] == f"debate/judge@{judge.hash[:12]}", "In prompts/"].all()
    # the editor starts from the shipped debate judge, with its variables all present
    assert at.text_area(key=content_key(at, 1)).value == judge.messages[1][1]
    shown = texts(at)
    for name in ("answer_a", "answer_b", "question", "transcript"):
        assert f":green-badge[{{{name}}}]" in shown
    assert f'prompt = "debate/judge@{judge.hash}"' in shown
    at.selectbox(key="prompts.role").set_value("debater").run()
    assert set(at.dataframe[0].value["Role"]) == {"debater"}
    assert not at.exception


def test_editor_names_unknown_and_missing_variables_and_refuses_to_save(store):
    at = open_prompts()
    area = at.text_area(key=content_key(at, 1))
    area.set_value(area.value.replace("{transcript}", "{passage}")).run()
    errors = [e.value for e in at.error]
    assert any(e.startswith("unknown variable {passage}") for e in errors)
    assert any(e.startswith("missing required variable {transcript}") for e in errors)
    assert ":red-badge[{passage} unknown]" in texts(at)
    assert ":orange-badge[{transcript} missing]" in texts(at)
    assert at.button(key="prompts.save").disabled
    assert len(list_versions(store, prompt_id="debate/judge")) == 1


def test_save_a_version_then_diff_it_against_its_parent(store):
    at = open_prompts()
    save_edit(at)
    judge = get_prompt("debate/judge")
    [saved] = [v for v in list_versions(store, prompt_id="debate/judge") if v.source == "page"]
    assert saved.parent_hash == judge.hash and saved.note == "prefer B when unsure"
    assert saved.template.messages[1][1].endswith(MARK)
    assert f"Saved version `{saved.ref}`" in at.success[0].value
    # the new version is opened in the list, the editor and the diff
    assert at.selectbox(key="prompts.open").value == saved.pin
    assert at.selectbox(key="prompts.base").value == saved.pin
    assert at.selectbox(key="prompts.diff.old").value.endswith(judge.hash)
    assert at.selectbox(key="prompts.diff.new").value == saved.pin
    [table] = at.get("html")
    body = table.proto.body
    assert f"<ins>{html.escape(MARK)}</ins>" in body and "<script" not in body
    assert f"+{MARK}" in next(c.value for c in at.code if c.language == "diff")
    # the editor now starts from the saved version: unchanged, there is nothing to save
    assert at.button(key="prompts.save").disabled
    assert "Edit the wording to save a new version." in texts(at)
    at.text_area(key=f"prompts.edit.{saved.hash[:12]}.0.content").set_value(
        judge.messages[0][1] + " Be brief."
    ).run()
    assert not at.button(key="prompts.save").disabled


def test_export_writes_a_file_that_loads_as_the_version(store, tmp_path, monkeypatch):
    monkeypatch.setattr("playground.prompting.files.PROMPTS_DIR", tmp_path)
    at = open_prompts()
    save_edit(at)
    at.button(key="prompts.export").click().run()
    assert not at.exception
    path = tmp_path / "debate" / "judge.toml"
    [saved] = [v for v in list_versions(store, prompt_id="debate/judge") if v.source == "page"]
    assert load_template(path).hash == saved.hash
    assert str(path) in at.success[0].value


def test_ab_run_shows_changed_verdicts_and_the_paired_statistics(store):
    register_script("page-debater", lambda: ScriptedModel(["My answer is right."]))

    def judge(messages, config):
        first = "Answer: B" if MARK in messages[-1].content else "Answer: A"
        return f"{first}\nConfidence: 75"

    register_script("page-judge", lambda: ScriptedModel(judge))
    at = open_prompts()
    save_edit(at)
    judge_prompt = get_prompt("debate/judge")
    assert at.selectbox(key="prompts.ab.a").value.endswith(judge_prompt.hash)
    at.text_input(key="prompts.ab.arguer.model").set_value("scripted/page-debater")
    at.text_input(key="prompts.ab.judge.model").set_value("scripted/page-judge")
    at.number_input(key="prompts.ab.count").set_value(3)
    settle(at.button(key="prompts.ab.run").click().run(timeout=TIMEOUT), "prompts.ab.stop")
    assert not at.exception and not at.error

    runs = store.list_runs()
    assert len(runs) == 2 and all(r.source == "page" for r in runs)
    rows = next(d.value for d in at.dataframe if "Changed" in d.value.columns)
    assert list(rows["Item"]) == ["reading-001", "reading-002", "reading-003"]
    assert rows["Changed"].all()  # the new prompt flips every verdict from A to B
    assert all(
        a.startswith("A (") and b.startswith("B (")
        for a, b in zip(rows["A"], rows["B"], strict=True)
    )
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"Accuracy A", "Accuracy B", "B − A", "McNemar p"}
    assert "3 of 3 verdicts changed" in texts(at)
    # a rerun reads the result back from the store
    at.run()
    assert any("Changed" in d.value.columns for d in at.dataframe)

    # the Runs page filters runs by prompt version (id@hash8, a valid pin)
    [saved] = [v for v in list_versions(store, prompt_id="debate/judge") if v.source == "page"]
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2
    at.multiselect(key="runs.prompts").select(f"debate/judge@{saved.hash[:8]}").run()
    table = at.dataframe[0].value
    assert len(table) == 1 and f"debate/judge@{saved.hash[:8]}" in table.iloc[0]["Prompts"]
    assert table.iloc[0]["Run"] == runs[0].id  # arm B ran last


def test_preview_renders_the_prompt_on_a_chosen_item(store):
    from playground.datasets import load_dataset

    at = open_prompts()
    at.selectbox(key="prompts.preview.dataset").set_value("builtin:reading").run()
    second = load_dataset("builtin:reading", seed=0).items[1]
    at.selectbox(key="prompts.preview.builtin:reading.item").set_value(second.id).run()
    assert not at.exception
    assert any(second.question in c.value for c in at.code)


def test_stop_an_ab_run_while_it_runs(store):
    register_script("page-debater", lambda: ScriptedModel(["My answer is right."]))
    register_script("slow-judge", lambda: ScriptedModel(["Answer: A"], delay=30))
    at = open_prompts()
    save_edit(at)
    at.text_input(key="prompts.ab.arguer.model").set_value("scripted/page-debater")
    at.text_input(key="prompts.ab.judge.model").set_value("scripted/slow-judge")
    at.number_input(key="prompts.ab.count").set_value(2)
    at.button(key="prompts.ab.run").click().run(timeout=TIMEOUT)
    assert at.button(key="prompts.ab.stop").label == "Stop"  # the judge takes 30 s
    settle(at.button(key="prompts.ab.stop").click().run(), "prompts.ab.stop", deadline_s=10)
    assert not at.exception
    assert "The A/B run was stopped" in at.error[0].value
    [arm_a] = store.list_runs()  # arm B never started
    assert arm_a.status == "interrupted"
    assert not any("Changed" in d.value.columns for d in at.dataframe)  # no result to show
    at.run()
    assert not at.error  # said once
