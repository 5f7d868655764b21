"""The Debate page's per-judge verdict mode: chosen on the page, sent to the model, recorded
in the seat's provenance, and (on the embedded model) an ``ok`` verdict with credences read
from token probabilities in the default first debate."""

from __future__ import annotations

import time

import pytest
from test_pages import TIMEOUT, debater_or_judge, open_app, use_server


def finished_run(at, store, seconds: float):
    """The page's run once it is done (the page is rerun while it streams)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        runs = store.list_runs()
        if runs and runs[0].status != "running":
            return runs[0]
        time.sleep(1)
        at.run(timeout=TIMEOUT)
    raise AssertionError("the page's run did not finish")


def test_page_structured_judge_against_loopback(store, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = lambda body: (
        '{"answer": "B", "confidence": 70, "reasoning": "B cites it."}'
        if body.get("response_format")
        else debater_or_judge(body)
    )
    at = open_app()
    use_server(at, openai_server.base_url)
    at.number_input(key="rounds").set_value(1)
    at.selectbox(key="judge.verdict_mode").set_value("structured")
    at.button(key="run").click().run(timeout=TIMEOUT)
    run = finished_run(at, store, 60)
    assert not at.exception
    [record] = store.iter_records(run.id)
    assert record.verdict.status == "ok"
    assert record.verdict.choice == record.assignment.display_order[1]
    assert record.provenance.roles["judge"].params["verdict_mode"] == "structured"
    judged = [r.json for r in openai_server.requests if r.json.get("response_format")]
    assert len(judged) == 1


@pytest.mark.embedded
@pytest.mark.slow
def test_embedded_logprobs_judge_gives_ok_verdict_on_the_default_debate(store, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    at = open_app()  # the defaults: builtin:reading, its first question, SmolLM2 in every seat
    at.selectbox(key="judge.verdict_mode").set_value("logprobs")
    at.button(key="run").click().run(timeout=600)  # the page follows the run as it streams
    run = finished_run(at, store, 600)
    assert not at.exception
    [record] = store.iter_records(run.id)
    verdict = record.verdict
    assert verdict.status == "ok", verdict.reason
    assert verdict.credences is not None and sum(verdict.credences) == pytest.approx(1)
    assert record.provenance.roles["judge"].params["verdict_mode"] == "logprobs"
    [turn] = [t for t in record.turns if t.index == verdict.turn_index]
    assert turn.content.startswith("Answer:") and turn.meta["logprobs"][0]["top"]
