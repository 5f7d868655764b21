"""The Fork page: re-judge and fork a logged transcript, original and new side by side."""

import asyncio

from streamlit.testing.v1 import AppTest
from test_debate import debater
from test_pages import APP, TIMEOUT, settle, texts

from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel, register_script


def logged_debate(store, dataset):
    exp = parse_experiment(
        {
            "name": "orig",
            "protocol": "debate",
            "dataset": str(dataset),
            "items": ["q1"],
            "options": {"rounds": 2},
            "roles": {"debater": {"model": "scripted/deb"}, "judge": {"model": "scripted/first"}},
        }
    )
    register_script("deb", lambda: ScriptedModel(debater, name="deb"))
    register_script("first", lambda: ScriptedModel(["Answer: A\nConfidence: 60"], name="first"))
    register_script("second", lambda: ScriptedModel(["Answer: B\nConfidence: 90"], name="second"))
    return asyncio.run(run_experiment(exp, store))


def test_empty_store(store):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/fork.py").run()
    assert not at.exception
    assert "No runs yet: run a debate first." in texts(at)


def test_rejudge_side_by_side(store, tiny_dataset):
    summary = logged_debate(store, tiny_dataset)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/fork.py").run()
    at.text_area(key="fork.changes").set_value('[roles.judge]\nmodel = "scripted/second"\n')
    settle(at.button(key="fork.go").click().run(), "fork.stop")
    assert not at.exception and not at.error
    shown = texts(at)
    assert "Original" in [h.value for h in at.subheader] and "Re-judged" in [
        h.value for h in at.subheader
    ]
    [original] = store.transcripts_of(summary.info.id)
    assert f"linked to `{original.id}`" in " ".join(s.value for s in at.success)
    new_run = next(r for r in store.list_runs() if r.id != summary.info.id)
    [child] = store.transcripts_of(new_run.id)
    assert child.parent_id == original.id
    assert child.verdicts[0][1].choice != original.verdicts[0][1].choice  # the new judge said B
    assert "[A1]" in shown  # both transcripts are shown


def test_fork_at_a_turn_and_bad_changes(store, tiny_dataset):
    summary = logged_debate(store, tiny_dataset)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/fork.py").run()
    at.radio(key="fork.mode").set_value("Fork at a turn").run()
    [original] = store.transcripts_of(summary.info.id)
    at.selectbox(key=f"fork.at.{original.id}").set_value(1)
    at.text_area(key="fork.changes").set_value("[roles.judge\n")
    at.button(key="fork.go").click().run()
    assert next(e.value for e in at.error).startswith("changes: not valid TOML")
    at.text_area(key="fork.changes").set_value("cache = false\n[options]\nrounds = 3\n")
    settle(at.button(key="fork.go").click().run(), "fork.stop")
    assert not at.exception and not at.error
    assert "Forked after turn 1" in [h.value for h in at.subheader]
    new_run = next(r for r in store.list_runs() if r.id != summary.info.id)
    [child] = store.transcripts_of(new_run.id)
    assert [t.meta.get("copied", False) for t in child.turns][:3] == [True, True, False]
    assert len([t for t in child.turns if t.role != "judge"]) == 6  # three rounds now


def test_stop_a_fork_while_it_runs(store, tiny_dataset):
    summary = logged_debate(store, tiny_dataset)
    register_script("slow", lambda: ScriptedModel(["Answer: B\nConfidence: 90"], delay=30))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/fork.py").run()
    at.text_area(key="fork.changes").set_value('[roles.judge]\nmodel = "scripted/slow"\n')
    at.button(key="fork.go").click().run()
    assert at.button(key="fork.stop").label == "Stop"  # the judge takes 30 s: still running
    settle(at.button(key="fork.stop").click().run(), "fork.stop", deadline_s=10)
    assert not at.exception and not at.error
    assert "The new transcript was stopped" in at.warning[0].value
    new_run = next(r for r in store.list_runs() if r.id != summary.info.id)
    assert new_run.status == "interrupted"
    at.run()
    assert not at.warning  # said once; nothing to stop any more
    assert not [b for b in at.button if b.key == "fork.stop"]
