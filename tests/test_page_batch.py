"""The Batch page and the background runner it uses: start, live progress, stop, resume."""

import json
import time

from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT, texts

from playground.experiments import RunHandle, parse_experiment
from playground.store import Store


def responder(request_json) -> str:
    return (
        "Answer: B\nConfidence: 90"
        if "fair judge" in json.dumps(request_json)
        else "Mine is right."
    )


def experiment_text(base_url: str, limit: int = 3) -> str:
    return f"""
name = "from the batch page"
protocol = "debate"
dataset = "builtin:reading"
limit = {limit}
cache = false
[options]
rounds = 1
swap_positions = true
[roles.debater]
model = "openai/loopback"
base_url = "{base_url}"
[roles.judge]
model = "openai/loopback"
base_url = "{base_url}"
"""


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_background_run_counts_and_finishes(store, openai_server):
    openai_server.responder = responder
    exp = parse_experiment(__import__("tomllib").loads(experiment_text(openai_server.base_url)))
    job = RunHandle.for_experiment(exp, store)
    run_id = job.start()
    assert run_id and store.get_run(run_id) is not None
    job.join(30)
    assert job.status == "done" and job.finished
    p = job.progress
    assert (p.total, p.done, p.counts["ok"]) == (6, 6, 6)
    assert p.tokens > 0 and p.fraction == 1.0


def test_cancel_interrupts_and_resume_finishes(store, openai_server):
    openai_server.responder = responder
    openai_server.latency = 0.2
    exp = parse_experiment(__import__("tomllib").loads(experiment_text(openai_server.base_url, 6)))
    job = RunHandle.for_experiment(exp, store)
    run_id = job.start()
    wait_for(lambda: job.progress.done >= 2)
    job.cancel()
    job.join(30)
    assert job.status == "interrupted"
    assert store.get_run(run_id).status == "interrupted"
    resumed = RunHandle.for_experiment(None, store, resume=run_id)
    assert resumed.start() == run_id
    resumed.join(60)
    assert resumed.status == "done"
    assert resumed.progress.skipped >= 2
    assert len(list(store.iter_records(run_id))) == 12  # 6 items x 2 positions, once each


def test_setting_errors_fail_the_start_in_one_line(store):
    exp = parse_experiment(
        {
            "name": "x",
            "protocol": "debate",
            "dataset": "builtin:nope",
            "roles": {"debater": {"model": "local/smollm2"}, "judge": {"model": "local/smollm2"}},
        }
    )
    job = RunHandle.for_experiment(exp, store)
    assert job.start() is None
    assert job.status == "failed" and "unknown" in job.error and "\n" not in job.error


def test_batch_page_starts_a_run_and_shows_its_progress(store, openai_server):
    openai_server.responder = responder
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/batch.py").run()
    assert not at.exception
    assert "No background runs started from this server yet." in texts(at)
    at.text_area[0].set_value(experiment_text(openai_server.base_url, limit=2))
    at.button(key="batch.start").click().run()
    assert not at.exception and not at.error
    [run] = Store(store.url.render_as_string(hide_password=False)).list_runs()
    assert run.name == "from the batch page" and run.source == "page"
    deadline = time.monotonic() + 30
    while "· done" not in texts(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    shown = texts(at)
    assert f"**`{run.id}`** · done" in shown
    assert "4 of 4 transcripts" in next(p.proto.text for p in at.get("progress"))


def test_batch_page_reports_a_bad_file_in_one_line(store):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/batch.py").run()
    at.text_area[0].set_value(
        'name = "x"\nprotocol = "debate"\ndataset = "builtin:reading"\nlimt = 3\n'
    )
    at.button(key="batch.start").click().run()
    assert [e.value for e in at.error] == [
        "limt: unknown key (allowed: name, protocol, dataset, limit, items, seed, tags, "
        "concurrency, max_calls, max_cost_usd, max_transcript_cost_usd, max_tokens_total, "
        "cache, batch, batch_poll_s, batch_deadline_s, limits, options, roles)"
    ]


def test_batch_page_budget_stops_the_run_and_a_higher_one_resumes_it(store, openai_server):
    openai_server.responder = responder
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/batch.py").run()
    at.text_area[0].set_value(experiment_text(openai_server.base_url, limit=3))
    at.number_input(key="batch.max_tokens_total").set_value(1)
    at.button(key="batch.start").click().run()
    assert not at.exception and not at.error
    [run] = Store(store.url.render_as_string(hide_password=False)).list_runs()
    deadline = time.monotonic() + 30
    while "· budget" not in " ".join(texts(at)) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert f"**`{run.id}`** · budget" in texts(at)
    [warning] = [w.value for w in at.warning]
    assert "max" in warning and "tokens" in warning and "total 1 reached" in warning
    at.number_input(key="batch.max_tokens_total").set_value(10_000_000)
    at.selectbox(key="batch.resume").set_value(run.id).run()
    at.button(key="batch.resume_button").click().run()
    assert not at.exception and not at.error
    wait_for(
        lambda: (
            Store(store.url.render_as_string(hide_password=False)).get_run(run.id).status == "done"
        )
    )
