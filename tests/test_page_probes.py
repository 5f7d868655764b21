"""The Bias probes page under AppTest: a judge_probe run of a logged debate against the
loopback OpenAI-compatible server, drawn from the registry, fills the probe table live."""

import re
import time

from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT, texts

from playground.store import Store


def longer(body) -> str:
    """A judge that picks the side that said more (a planted length bias)."""
    text = body["messages"][-1]["content"]
    labels = re.findall(r"^Answer (\w): ", text, re.M)
    said = {label: 0 for label in labels}
    for label, line in re.findall(r"^Debater (\w): (.*)$", text, re.M):
        said[label] += len(line)
    return f"Answer: {max(labels, key=lambda label: said[label])}\nConfidence: 70"


def test_page_runs_a_probe_of_a_logged_debate(store, openai_server, tiny_dataset):
    from tests.test_protocol_family import run as run_protocol

    openai_server.responder = longer
    debates, _ = run_protocol(store, tiny_dataset, "debate", ["debater_a", "debater_b", "judge"])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/probes.py").run()
    assert not at.exception
    for probe in ("label", "assertiveness"):
        at.checkbox(key=f"probe.{probe}").uncheck().run()
    at.selectbox(key="probe.judge.provider").set_value("compat").run()
    at.text_input(key="probe.judge.compat.base_url").set_value(openai_server.base_url).run()
    at.button(key="probe.start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    runs = Store(store.url.render_as_string(hide_password=False)).list_runs()
    run = next(r for r in runs if r.protocol == "judge_probe")
    assert run.source == "page" and run.dataset == f"run:{debates[0].run_id}"
    deadline = time.monotonic() + 30
    while "· done" not in texts(at) + "".join(p.proto.text for p in at.get("progress")):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.2)
        at.run()
    records = list(store.iter_records(run.id))
    assert {r.assignment.condition for r in records} == {"base", "length", "position"}
    at.run()
    tables = [df.value for df in at.dataframe if "probe" in df.value.columns]
    assert tables and set(tables[0]["probe"]) == {"length", "position"}
    assert "Judge bias probes" in texts(at)
