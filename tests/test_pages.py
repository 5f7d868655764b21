"""The Streamlit pages under `AppTest`: they render, run a debate against the loopback
OpenAI-compatible server, show the verdict, log it with provenance, and never store a key."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT = 60
FAKE_KEY = "sk-test-0123456789abcdefFAKEKEY"
SEATS = ("debater_a", "debater_b", "judge")


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    return at.run()


def single_page(tmp_path: Path, page: str, title: str) -> AppTest:
    """A one-page app around ``pages/<page>``, navigated like app.py does (`st.navigation`
    and `through_app`), for testing one page alone."""
    entry = tmp_path / "entry.py"
    entry.write_text(
        "import streamlit as st\n"
        "from pages.widgets import through_app\n"
        f"page = st.navigation([st.Page({str(APP.parent / 'pages' / page)!r}, "
        f"title={title!r}, default=True)])\n"
        "with through_app():\n"
        "    page.run()\n"
    )
    return AppTest.from_file(str(entry), default_timeout=TIMEOUT)


def settle(at: AppTest, stop_key: str, deadline_s: float = TIMEOUT) -> AppTest:
    """Rerun a page that follows a background run until its Stop button (``stop_key``) is gone:
    the run has ended and the page has shown how."""
    end = time.monotonic() + deadline_s
    while any(b.key == stop_key for b in at.button):
        assert time.monotonic() < end, f"the run behind {stop_key!r} did not end"
        time.sleep(0.1)
        at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything the page shows as text, for searching."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [c.value for c in at.code] + [e.value for e in at.error] + [i.value for i in at.info]
    return "\n".join(parts)


def debater_or_judge(request: dict) -> str:
    """Loopback responder: distinct text per debater and round, and a well-formed judge reply."""
    system = request["messages"][0]["content"]
    if "fair judge" in system:
        return "Answer: A\nConfidence: 80"
    name = re.search(r"You are Debater (\w)", system).group(1)
    rnd = re.search(r"this is round (\d+) of", system).group(1)
    return f"Debater {name} speaking in round {rnd}: my answer is the one the passage supports."


def use_server(at: AppTest, base_url: str, seats: Sequence[str] = SEATS) -> None:
    """Seat ``seats`` (default: every role of a debate) on the OpenAI-compatible server at
    ``base_url``."""
    for role in seats:
        at.selectbox(key=f"{role}.provider").set_value("compat")
    at.run()
    for role in seats:
        at.text_input(key=f"{role}.compat.base_url").set_value(base_url)
        at.text_input(key=f"{role}.compat.model").set_value("loopback-model")


def test_debate_page_renders_with_embedded_defaults(store, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = open_app()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Debate"
    assert at.selectbox(key="dataset").value == "builtin:reading"
    for role in SEATS:
        assert at.selectbox(key=f"{role}.provider").value == "local"
        assert at.text_input(key=f"{role}.local.model").value == "smollm2"
    assert at.number_input(key="debater_a.max_tokens").value == 96
    assert at.number_input(key="judge.max_tokens").value == 32
    assert at.number_input(key="rounds").value == 3
    # the true answer is only inside the collapsed spoiler expander
    spoiler = next(e for e in at.expander if e.label.startswith("Correct answer"))
    assert "true answer" not in texts(at)
    assert spoiler.markdown
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "Not set: needed only for OpenAI models." in sidebar


def test_debate_page_switches_provider_defaults(store):
    at = open_app()
    at.selectbox(key="judge.provider").set_value("anthropic").run()
    assert at.text_input(key="judge.anthropic.model").value == "claude-sonnet-4-5"
    at.selectbox(key="debater_b.provider").set_value("compat").run()
    assert at.text_input(key="debater_b.compat.base_url").value == "http://localhost:11434/v1"
    assert not at.exception


def test_key_found_in_secrets_is_reported_not_shown(store, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["ANTHROPIC_API_KEY"] = FAKE_KEY
    at.run()
    assert not at.exception
    sidebar = "\n".join(c.value for c in at.sidebar.caption)
    assert "Found in `.streamlit/secrets.toml`." in sidebar
    assert FAKE_KEY not in texts(at)


def test_runs_page_without_runs(store):
    at = open_app()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    assert at.title[0].value == "Runs"
    assert "No runs yet" in at.info[0].value


def scripted_run(store) -> str:
    """A two-item, position-swapped run with ok, unparseable and error verdicts."""
    experiment = parse_experiment(
        {
            "name": "scripted run",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": 2,
            "concurrency": 1,
            "options": {"rounds": 1, "swap_positions": True},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
        }
    )
    judge = [
        "Answer: A\nConfidence: 80",
        "I cannot decide <b>at all</b>",
        "Answer: B\nConfidence: 70",
        RuntimeError("judge fell over"),
    ]
    models = {
        "debater_a": ScriptedModel(
            ["A: it costs $5, see **the passage**. ![](http://x.test/p.png)"]
        ),
        "debater_b": ScriptedModel(["B: no, the passage says otherwise."]),
        "judge": ScriptedModel(judge),
    }
    summary = asyncio.run(run_experiment(experiment, store, models=models))
    return summary.info.id


def transcript_picker(at: AppTest):
    return next(s for s in at.selectbox if s.label == "Open transcript")


def test_runs_page_lists_a_run_and_opens_its_transcripts(store):
    run_id = scripted_run(store)
    at = open_app()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert row["Run"] == run_id
    assert (row["OK"], row["Unparseable"], row["Error"]) == (2, 1, 1)
    assert row["Transcripts"] == 4
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["OK verdicts"], metrics["Unparseable"], metrics["Errors"]) == ("2", "1", "1")
    assert at.download_button[0].label == "Export JSONL (4 verdicts)"
    # model text as markdown: $ kept literal, the image shown as text and never fetched
    assert "A: it costs \\$5, see **the passage**. !\\[](http://x.test/p.png)" in texts(at)

    picker = transcript_picker(at)
    unparseable = next(i for i, o in enumerate(picker.options) if o.endswith("unparseable"))
    picker.select_index(unparseable).run()
    assert "I cannot decide <b>at all</b>" in [c.value for c in at.code]
    assert ":orange-badge[:material/help: UNPARSEABLE]" in texts(at)

    picker = transcript_picker(at)
    failed = next(i for i, o in enumerate(picker.options) if o.endswith("error"))
    picker.select_index(failed).run()
    assert "judge fell over" in texts(at)
    assert ":red-badge[:material/error: ERROR]" in texts(at)
    config = next(j for j in at.json)
    assert json.loads(config.value)["provenance"]["roles"]["judge"]["prompt_id"] == "debate/judge"


def test_debate_against_loopback_server(store, openai_server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_server.responder = debater_or_judge
    openai_server.api_key = FAKE_KEY  # the server refuses calls without the key typed below
    openai_server.faults = ["500"]  # the first call fails once and is retried
    at = open_app()
    use_server(at, openai_server.base_url)
    at.number_input(key="rounds").set_value(2)
    for field in at.text_input:  # each seat's key for its own server
        if field.label.startswith("Key for "):
            field.set_value(FAKE_KEY)
    at.sidebar.text_input[0].set_value("sk-openai-key-never-sent-elsewhere")  # the OpenAI key field
    at.button(key="run").click().run(timeout=TIMEOUT)

    assert not at.exception
    assert not at.error
    shown = texts(at)
    for name, rnd in (("A", 1), ("B", 1), ("A", 2), ("B", 2)):
        assert f"Debater {name} speaking in round {rnd}" in shown
    assert len(at.chat_message) == 5
    assert "Chose **Answer A**" in shown
    assert "Credences: Answer A **80%** · Answer B **20%**" in shown
    assert at.status[0].proto.label.startswith("Debate finished")
    assert FAKE_KEY not in shown
    assert ":green-badge[true]" not in shown  # the live view never labels the true answer early

    [run] = store.list_runs()
    assert (run.source, run.status, run.verdicts) == ("page", "done", {"ok": 1})
    assert run.config["experiment"]["cache"] is False  # the page samples anew unless asked
    [view] = store.transcripts_of(run.id)
    assert [t.role for t in view.turns] == ["debater_a", "debater_b"] * 2 + ["judge"]
    assert all(t.model == "openai/loopback-model" and t.content for t in view.turns)
    [(_, verdict, is_correct)] = view.verdicts
    assert verdict.status == "ok" and verdict.credences[verdict.choice] == 0.8
    marker = "Correct" if is_correct else "Wrong"
    assert f"badge[:material/{'check' if is_correct else 'close'}: {marker}]" in shown
    assert f"Logged as run `{run.id}`" in shown
    [record] = store.iter_records(run.id)
    url = openai_server.base_url.rstrip("/")
    assert all(record.provenance.roles[r].base_url.rstrip("/") == url for r in SEATS)
    assert len(openai_server.requests) == 6
    assert {r.headers["authorization"] for r in openai_server.requests} == {f"Bearer {FAKE_KEY}"}
    assert sum(t.retries for t in view.turns) == 1
    assert "1 retry" in shown
    # the key reached the server but nothing that was written down
    files = list(tmp_path.glob("log.db*"))
    assert files and not any(FAKE_KEY.encode() in f.read_bytes() for f in files)
    assert FAKE_KEY not in json.dumps(at.session_state.to_dict(), default=str)

    # a rerun shows the finished run again, read back from the store
    at.run()
    assert "Last run" in [s.value for s in at.subheader]
    assert "Chose **Answer A**" in texts(at)
    assert ":green-badge[true]" in texts(at)  # now that there is a verdict


def test_missing_openai_key_is_one_error_line(store, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    at = open_app()
    for role in SEATS:
        at.selectbox(key=f"{role}.provider").set_value("openai")
    at.run()
    at.button(key="run").click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert "OPENAI_API_KEY" in at.error[0].value
    assert "\n" not in at.error[0].value
    assert store.list_runs() == []


def test_server_without_base_url_is_one_error_line(store):
    at = open_app()
    at.selectbox(key="debater_a.provider").set_value("compat").run()
    at.text_input(key="debater_a.compat.base_url").set_value("").run()
    at.button(key="run").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Debater A: an OpenAI-compatible server needs a base URL"
    ]


def test_reusing_cached_calls_replays_without_the_server(store, openai_server):
    openai_server.responder = debater_or_judge
    at = open_app()
    use_server(at, openai_server.base_url)
    at.number_input(key="rounds").set_value(1)
    at.checkbox(key="cache").check()
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert len(openai_server.requests) == 3
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert len(openai_server.requests) == 3  # every call of the second run came from the cache
    latest = store.list_runs()[0]
    [view] = store.transcripts_of(latest.id)
    assert all(t.cached for t in view.turns)
    assert "cached" in texts(at)
