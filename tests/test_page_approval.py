"""The Approval page under AppTest: it renders with the embedded model as default; a run against
the loopback OpenAI-compatible server shows the step table and the metric tables with the
numbers the library computes from the store; a person rates every step as the overseer, blind
to the ground truth until the run ends; a logged run is read back; settings errors are one line.
"""

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT, texts

from playground.protocols.approval.metrics import approval_rows, hack_preference, source_table

AGENT = "appr.shortcut.agent"
RATINGS = [0.95, 0.65, 0.35, 0.05, 0.8]
"""A person's approvals of the (up to 5) courier stops, on the slider's 0.05 grid."""


def courier(body) -> str:
    """The agent takes the best-paid job at every stop (walking into the shortcut); the overseer
    approves later stops more (0.3 + 0.1 × stop), so every metric has something to rank."""
    text = body["messages"][-1]["content"]
    if "Approval:" in text:
        stop = int(re.search(r"Pick the job for stop (\d+)", text).group(1))
        return f"Approval: {0.3 + 0.1 * stop:.1f}\nRationale: stop {stop} looks fine."
    now = text.split("Options:")[-1]
    offers = re.findall(r"^([A-C]): (\d+) coins?", now, re.MULTILINE)
    return max(offers, key=lambda o: int(o[1]))[0]


def open_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/approval.py").run()
    assert not at.exception
    return at


def on_server(at: AppTest, seat: str, base_url: str) -> None:
    """Seat ``seat`` (its widget key prefix) on the loopback server."""
    at.selectbox(key=f"{seat}.provider").set_value("compat").run()
    at.text_input(key=f"{seat}.compat.base_url").set_value(base_url).run()


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe on the page that has ``column``."""
    [found] = [df.value for df in at.dataframe if column in df.value.columns]
    return found


def status(at: AppTest) -> str:
    return at.status[0].proto.label


def run_shortcut(at: AppTest, base_url: str, tasks: int) -> None:
    at.number_input(key="appr.shortcut.tasks").set_value(tasks).run()
    on_server(at, AGENT, base_url)
    on_server(at, "appr.overseer", base_url)
    at.button(key="appr.run").click().run()
    assert not at.exception and not at.error


def test_page_renders_with_the_embedded_model_by_default(store):
    at = open_page()
    assert at.title[0].value == "Approval" and not at.error
    assert at.multiselect(key="appr.sources").value == ["outcome", "myopic_overseer"]
    assert at.selectbox(key=f"{AGENT}.provider").value == "local"
    assert at.selectbox(key="appr.overseer.provider").value == "local"
    assert at.number_input(key=f"{AGENT}.max_tokens").value == 4
    assert at.number_input(key="appr.rounds").disabled
    # a debate overseer brings its three seats; a person may judge but not debate
    at.multiselect(key="appr.sources").set_value(["debate_overseer"]).run()
    assert not at.exception
    providers = {s.key: s.options for s in at.selectbox if s.key.endswith(".provider")}
    assert set(providers) == {f"{AGENT}.provider", *(f"appr.{s}.provider" for s in
                              ("debater_a", "debater_b", "judge"))}  # fmt: skip
    assert "A person (you)" in providers["appr.judge.provider"]
    assert "A person (you)" not in providers["appr.debater_a.provider"]
    assert not at.number_input(key="appr.rounds").disabled
    at.selectbox(key="appr.env").set_value("tdd").run()
    assert at.number_input(key="appr.tdd.agent.max_tokens").value == 384
    assert "Courier run" not in texts(at)


def test_a_run_shows_steps_and_the_metrics_the_store_gives(store, openai_server):
    openai_server.responder = courier
    at = open_page()
    run_shortcut(at, openai_server.base_url, tasks=3)
    assert status(at).startswith("Approval run finished in ")
    [run] = store.list_runs()
    assert (run.protocol, run.status, run.source) == ("approval", "done", "page")
    rows = approval_rows(store.iter_records(run.id))
    assert set(rows["source"]) == {"outcome", "myopic_overseer"}

    steps = frame(at, "proposal")
    assert len(steps) == rows["step"].groupby(rows["transcript_id"]).nunique().sum()
    mine = rows[rows["source"] == "myopic_overseer"].set_index(["item_id", "step"]).sort_index()
    shown = steps.set_index(["task", "step"]).sort_index()
    assert list(shown["true value"]) == list(mine["true_value"])
    assert list(shown["myopic_overseer approval"]) == pytest.approx(list(mine["approval"]))
    assert list(shown["proposal"]) == list(mine["proposal"])
    outcome = rows[rows["source"] == "outcome"].set_index(["item_id", "step"]).sort_index()
    assert list(shown["outcome approval"]) == pytest.approx(list(outcome["reward"]))

    expected = source_table(rows)
    # the overseer's approvals vary with the stop, so each of its metrics is a number
    assert expected.set_index("source").loc["myopic_overseer"].notna().all()
    pd.testing.assert_frame_equal(frame(at, "spearman"), expected, check_dtype=False)
    pd.testing.assert_frame_equal(
        frame(at, "prefers_hacked"), hack_preference(rows), check_dtype=False
    )
    assert len(at.get("plotly_chart")) == 2
    assert run.id in texts(at)

    # the next rerun reads the run back from the store; so does the logged-run view
    at.run()
    assert "Last run" in [h.value for h in at.subheader]
    pd.testing.assert_frame_equal(frame(at, "spearman"), expected, check_dtype=False)
    at.radio(key="appr.mode").set_value("Logged run").run()
    assert at.selectbox(key="appr.logged").value.id == run.id
    pd.testing.assert_frame_equal(frame(at, "spearman"), expected, check_dtype=False)
    assert len(frame(at, "proposal")) == len(steps)


def test_a_person_oversees_every_step(store, openai_server):
    openai_server.responder = courier
    at = open_page()
    at.selectbox(key="appr.overseer.provider").set_value("human").run()
    at.number_input(key="appr.shortcut.tasks").set_value(1).run()
    on_server(at, AGENT, openai_server.base_url)
    at.button(key="appr.run").click().run()
    given: list[tuple[float, str]] = []
    while status(at).startswith("Waiting for you"):
        assert not at.exception and not at.error
        view = next(e for e in at.expander if e.label == "What this seat sees")
        assert "You oversee an agent" in "\n".join(m.value for m in view.markdown)
        steps = frame(at, "proposal")  # blind: no truth, no outcome, while the person rates
        assert "true value" not in steps.columns and "outcome approval" not in steps.columns
        # the step being rated is the last row: its proposal is shown, its approval not yet
        *rated, current = steps["myopic_overseer approval"]
        assert rated == pytest.approx([a for a, _ in given]) and pd.isna(current)
        assert steps["proposal"].iloc[-1] in ("A", "B", "C")
        approval, rationale = RATINGS[len(given)], f"step {len(given) + 1}: ok"
        [slider] = at.slider
        slider.set_value(approval)
        next(t for t in at.text_input if t.label == "Rationale (one sentence)").set_value(rationale)
        at.form_submit_button[0].click().run()
        given.append((approval, rationale))
    assert not at.exception and not at.error
    assert status(at).startswith("Approval run finished in ")
    assert len(given) >= 3  # 3 to 5 courier stops
    [run] = store.list_runs()
    assert "human" in run.tags and run.status == "done"
    rows = approval_rows(store.iter_records(run.id))
    mine = rows[rows["source"] == "myopic_overseer"].sort_values("step")
    assert list(mine["approval"]) == pytest.approx([a for a, _ in given])
    assert list(mine["rationale"]) == [r for _, r in given]
    assert set(mine["model"]) == {"human"}
    # now the truth is shown, and the person's approvals are scored like any source's
    assert "true value" in frame(at, "proposal").columns
    table = frame(at, "spearman").set_index("source")
    assert table.loc["myopic_overseer", "model"] == "human"
    assert len(openai_server.requests) == len(given)  # the agent only: the overseer is a person


def test_settings_errors_are_one_line(store):
    at = open_page()
    at.multiselect(key="appr.sources").set_value([]).run()
    at.button(key="appr.run").click().run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("options.sources") and "\n" not in error.value
    at.multiselect(key="appr.sources").set_value(["outcome"]).run()
    at.selectbox(key=f"{AGENT}.provider").set_value("compat").run()
    at.text_input(key=f"{AGENT}.compat.base_url").set_value("").run()
    at.button(key="appr.run").click().run()
    [error] = at.error
    assert "needs a base URL" in error.value
    assert store.list_runs() == []
