"""The Batch page's checkbox sends a run's calls through the provider batch engines (as
``--batch``) and its progress shows the batches and their requests."""

import time

from loopback.batch_servers import OpenAIBatchServer
from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT, texts

from playground.store import Store
from playground.store.batches import BatchLog


def responder(body) -> str:
    return "Answer: B\nConfidence: 90" if "fair judge" in str(body) else "Mine is right."


def test_batch_checkbox_runs_through_the_batch_api(store):
    with OpenAIBatchServer(responder=responder) as server:
        text = f"""
name = "batched from the page"
protocol = "debate"
dataset = "builtin:reading"
limit = 2
cache = false
batch_poll_s = 0.05
[options]
rounds = 1
[roles.debater]
model = "openai/gpt-4o-mini"
base_url = "{server.base_url}"
[roles.judge]
model = "openai/gpt-4o-mini"
base_url = "{server.base_url}"
"""
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
        at.switch_page("pages/batch.py").run()
        at.text_area[0].set_value(text)
        at.checkbox(key="batch.engines").check()
        at.button(key="batch.start").click().run()
        assert not at.exception and not at.error
        [run] = Store(store.url.render_as_string(hide_password=False)).list_runs()
        deadline = time.monotonic() + 30
        while "· done" not in " ".join(texts(at)) and time.monotonic() < deadline:
            time.sleep(0.2)
            at.run()
        assert f"**`{run.id}`** · done" in texts(at)
        captions = [c.value for c in at.caption]
        # one wave for the debaters of every transcript, one for the judges
        assert any("batches 2 (2 collected, wave 2)" in c for c in captions), captions
        paths = [r.path for r in server.requests]
        assert "/v1/chat/completions" not in paths and paths.count("/v1/batches") == 2
    assert run.name == "batched from the page"
    assert [b.status for b in BatchLog(store).of_run(run.id)] == ["collected", "collected"]
