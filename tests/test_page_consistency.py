"""The Consistency page under AppTest: a check run against the loopback OpenAI-compatible
server fills the per-check table and the per-family summary; judge checks from a logged run."""

import re
import time

from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT, texts

from playground.store import Store


def answers(body) -> str:
    """0.8 for every statement, so negations violate by .6 and paraphrases by 0."""
    text = body["messages"][-1]["content"]
    if "Which answer is correct?" in text:
        first = re.search(r"^Answer (\w): ", text, re.M).group(1)
        return f"Answer: {first}\nConfidence: 60"
    return "Probability: 0.8"


def frame_values(at, column):
    return [list(df.value[column]) for df in at.dataframe if column in df.value.columns]


def open_page():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/consistency.py").run()
    assert not at.exception
    return at


def choose_server(at, base_url):
    at.selectbox(key="cons.subject.provider").set_value("compat").run()
    at.text_input(key="cons.subject.compat.base_url").set_value(base_url).run()


def wait_done(at, run_id):
    deadline = time.monotonic() + 30
    while "· done" not in texts(at) + "".join(p.proto.text for p in at.get("progress")):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.2)
        at.run()


def test_page_runs_negation_and_paraphrase_checks_live(store, openai_server):
    openai_server.responder = answers
    at = open_page()
    at.multiselect(key="cons.families").set_value(["negation", "paraphrase"]).run()
    at.slider(key="cons.limit").set_value(4).run()
    choose_server(at, openai_server.base_url)
    at.button(key="cons.start").click().run()
    assert not at.exception and not at.error
    [run] = Store(store.url.render_as_string(hide_password=False)).list_runs()
    assert run.protocol == "consistency" and run.source == "page"
    wait_done(at, run.id)
    records = list(store.iter_records(run.id))
    assert len(records) == 4
    violations = {r.verdict.metrics["family"]: r.verdict.metrics["violation"] for r in records}
    assert violations == {"negation": 0.6, "paraphrase": 0.0}
    [families] = frame_values(at, "family")[:1]
    assert sorted(families) == ["negation", "paraphrase"]
    [means] = frame_values(at, "mean_violation")
    assert sorted(means) == [0.0, 0.6]
    assert "Summary per family" in texts(at) and "**Per check** (4)" in texts(at)
    # one registry of background runs: the Batch page lists (and can stop) this run too
    at.switch_page("pages/batch.py").run()
    assert f"**`{run.id}`** · done" in texts(at)


def test_page_judges_logged_debates(store, openai_server, tiny_dataset):
    from tests.test_protocol_family import run as run_protocol

    openai_server.responder = answers
    debates, _ = run_protocol(store, tiny_dataset, "debate", ["debater_a", "debater_b", "judge"])
    at = open_page()
    at.radio(key="cons.source").set_value("run").run()
    choose_server(at, openai_server.base_url)
    at.button(key="cons.start").click().run()
    assert not at.exception and not at.error
    run = next(r for r in Store(store.url.render_as_string(hide_password=False)).list_runs()
               if r.protocol == "consistency")  # fmt: skip
    wait_done(at, run.id)
    records = list(store.iter_records(run.id))
    assert len(records) == len(debates)
    # a judge that always picks the first-shown answer flips on every swap, never on renaming
    assert all(r.verdict.metrics["flips"] == {"swap": True, "rename": False} for r in records)
