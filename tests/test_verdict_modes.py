"""verdict_mode per judge seat (stated / logprobs / structured) and the reasoning settings, run
as debates through the real openai and anthropic SDKs against the loopback servers: what is
sent, how the verdict is read, what is recorded, and what is refused before the run."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from playground.experiments import ExperimentError, RunOptions, parse_experiment, run_experiment
from playground.protocols.verdict_modes import LOGPROB_FLOOR, read_logprobs, read_structured
from playground.providers.base import TokenChoice, TokenLogprob
from tests.loopback.shapes import text_of

SPEECH = "The passage says so plainly."


def reply(body):
    """Debaters argue; a judge answers as its verdict mode asks (the JSON when a schema or a
    forced tool is requested)."""
    last = text_of(body["messages"][-1]["content"])
    if body.get("response_format") or body.get("tool_choice"):
        return json.dumps({"answer": "B", "confidence": 75, "reasoning": "B quoted the text."})
    if "Answer:" in last:
        return "Answer: A\nConfidence: 90"
    return SPEECH


def debate(server, judge: dict, **rest):
    roles = {
        "debater_a": {"model": "openai/arguer", "base_url": server.base_url},
        "debater_b": {"model": "openai/arguer", "base_url": server.base_url},
        "judge": judge,
    }
    return parse_experiment(
        {
            "name": "modes",
            "protocol": "debate",
            "dataset": "builtin:arithmetic",
            "limit": 1,
            "cache": False,
            "options": {"rounds": 1},
            "roles": roles,
            **rest,
        }
    )


def run(exp, store):
    summary = asyncio.run(run_experiment(exp, store))
    [record] = list(store.iter_records(summary.info.id))
    return record


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")


@pytest.mark.parametrize("stream", [False, True])
def test_logprobs_judge_reads_label_probabilities(store, openai_server, stream):
    openai_server.responder = reply
    # " A" and "a" both mean A (merged); " B" is the other label; "The" is no label
    openai_server.alternatives = {"A": {" A": -0.2, " B": -1.8, "a": -3.0, " The": -4.0}}
    judge = {"model": "openai/gpt-4o-mini", "base_url": openai_server.base_url}
    exp = debate(openai_server, judge | {"verdict_mode": "logprobs"})

    summary = asyncio.run(run_experiment(exp, store, RunOptions(stream=stream)))
    [record] = list(store.iter_records(summary.info.id))

    verdict = record.verdict
    assert verdict.status == "ok" and verdict.reason is None
    a, b = math.exp(-0.2) + math.exp(-3.0), math.exp(-1.8)
    shown = record.assignment.display_order
    assert verdict.choice == shown[0]
    assert verdict.credences[shown[0]] == pytest.approx(a / (a + b))
    assert verdict.credences[shown[1]] == pytest.approx(b / (a + b))
    [request] = [r for r in openai_server.requests if r.json["model"] == "gpt-4o-mini"]
    assert request.json["logprobs"] is True and request.json["top_logprobs"] == 10
    assert "Begin your reply with 'Answer:'" in request.json["messages"][-1]["content"]
    [turn] = [t for t in record.turns if t.index == verdict.turn_index]
    tokens = [t["token"] for t in turn.meta["logprobs"]]
    assert "".join(tokens) == turn.content == "Answer: A\nConfidence: 90"
    assert turn.meta["logprobs"][2]["top"][0] == {"token": " A", "logprob": -0.2}
    assert record.provenance.roles["judge"].params["verdict_mode"] == "logprobs"
    assert "verdict_mode" not in record.provenance.roles["debater_a"].params


def test_missing_label_gets_the_floor_noted_in_the_reason(store, openai_server):
    openai_server.responder = reply
    openai_server.alternatives = {"A": {" A": -0.1, " Both": -2.5}}
    judge = {"model": "openai/j", "base_url": openai_server.base_url, "verdict_mode": "logprobs"}
    verdict = run(debate(openai_server, judge), store).verdict
    assert verdict.status == "ok"
    assert verdict.reason == f"label B not among the top 2 tokens: floored at {LOGPROB_FLOOR:g}"
    p = math.exp(-0.1)
    assert max(verdict.credences) == pytest.approx(p / (p + LOGPROB_FLOOR))


def test_structured_judge_through_openai_response_format(store, openai_server):
    openai_server.responder = reply
    judge = {"model": "openai/j", "base_url": openai_server.base_url, "verdict_mode": "structured"}
    record = run(debate(openai_server, judge), store)
    verdict = record.verdict
    shown = record.assignment.display_order
    assert verdict.status == "ok" and verdict.choice == shown[1]
    assert verdict.credences[shown[1]] == pytest.approx(0.75)
    [request] = [r for r in openai_server.requests if r.json["model"] == "j"]
    schema = request.json["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["schema"]["required"] == [
        "answer",
        "confidence",
        "reasoning",
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_structured_judge_through_anthropic_forced_tool_use(
    store, openai_server, anthropic_server, stream
):

    openai_server.responder = anthropic_server.responder = reply
    judge = {
        "model": "anthropic/claude-haiku-4-5",
        "base_url": anthropic_server.base_url,
        "verdict_mode": "structured",
    }
    summary = asyncio.run(
        run_experiment(debate(openai_server, judge), store, RunOptions(stream=stream))
    )
    [record] = list(store.iter_records(summary.info.id))
    assert record.verdict.status == "ok"
    assert record.verdict.choice == record.assignment.display_order[1]
    assert json.loads(record.verdict.raw)["reasoning"] == "B quoted the text."
    [request] = anthropic_server.requests
    assert request.json["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    assert request.json["tools"][0]["input_schema"]["properties"].keys() == {
        "answer",
        "confidence",
        "reasoning",
    }


def test_anthropic_logprobs_judge_is_refused_before_the_run(store, openai_server, anthropic_server):
    judge = {
        "model": "anthropic/claude-haiku-4-5",
        "base_url": anthropic_server.base_url,
        "verdict_mode": "logprobs",
    }
    with pytest.raises(ExperimentError, match=r"^roles\.judge: .*log-probabilities") as caught:
        asyncio.run(run_experiment(debate(openai_server, judge), store))
    assert "\n" not in str(caught.value)
    assert not anthropic_server.requests and not openai_server.requests


def test_verdict_mode_on_a_debater_is_refused(store, openai_server):
    exp = debate(openai_server, {"model": "openai/j", "base_url": openai_server.base_url})
    exp.roles["debater_a"] = exp.roles["debater_a"].model_copy(update={"verdict_mode": "logprobs"})
    with pytest.raises(ExperimentError, match=r"^roles\.debater_a: verdict_mode is read only"):
        asyncio.run(run_experiment(exp, store))


def test_judge_question_is_free_text_in_any_mode(store, openai_server):
    openai_server.responder = reply
    judge = {"model": "openai/j", "base_url": openai_server.base_url, "verdict_mode": "structured"}
    exp = debate(openai_server, judge)
    exp.options = {"rounds": 2, "interactive_judge": True}
    record = run(exp, store)
    asks = [r.json for r in openai_server.requests if r.json["model"] == "j"]
    assert len(asks) == 2 and "response_format" not in asks[0] and "response_format" in asks[1]
    assert record.verdict.status == "ok"


def test_anthropic_thinking_is_recorded_and_hidden_from_other_seats(
    store, openai_server, anthropic_server
):
    openai_server.responder = anthropic_server.responder = reply
    anthropic_server.thinking_text = "SECRET-THOUGHT about B"
    debater = {"model": "anthropic/claude-haiku-4-5", "base_url": anthropic_server.base_url}
    exp = debate(
        openai_server,
        {"model": "openai/j", "base_url": openai_server.base_url},
    )
    exp.options = {"rounds": 2}
    exp.roles["debater_a"] = exp.roles["debater_a"].model_validate(
        debater | {"thinking_budget": 1024, "max_tokens": 2048}
    )
    record = run(exp, store)
    first = next(t for t in record.turns if t.role == "debater_a")
    assert first.meta["reasoning"] == "SECRET-THOUGHT about B"
    assert "SECRET" not in first.content
    sent = json.dumps([r.json for r in openai_server.requests])
    assert "SECRET" not in sent  # neither the opponent nor the judge saw it
    thinking = [r.json["thinking"] for r in anthropic_server.requests]
    assert thinking[0] == {"type": "enabled", "budget_tokens": 1024}


def test_openai_reasoning_effort_is_sent_and_reasoning_recorded(store, openai_server):
    openai_server.responder = reply
    openai_server.reasoning_content = "hidden chain of thought"
    judge = {
        "model": "openai/o4-mini",
        "base_url": openai_server.base_url,
        "reasoning_effort": "low",
    }
    record = run(debate(openai_server, judge), store)
    [turn] = [t for t in record.turns if t.index == record.verdict.turn_index]
    assert turn.meta["reasoning_tokens"] == 4
    assert turn.meta["reasoning"] == "hidden chain of thought"
    [ask] = [r.json for r in openai_server.requests if r.json["model"] == "o4-mini"]
    assert ask["reasoning_effort"] == "low"
    assert record.provenance.roles["judge"].params["reasoning_effort"] == "low"


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ({"model": "openai/j", "thinking_budget": 2000}, "does not take thinking_budget"),
        ({"model": "anthropic/c", "reasoning_effort": "high"}, "does not take reasoning_effort"),
        (
            {"model": "anthropic/c", "thinking_budget": 2000, "max_tokens": 1500},
            r"max_tokens \(1500\) must be larger than thinking_budget",
        ),
        (
            {
                "model": "anthropic/c",
                "thinking_budget": 2000,
                "max_tokens": 4000,
                "verdict_mode": "structured",
            },
            "thinking_budget cannot be used with verdict_mode = 'structured'",
        ),
    ],
)
def test_reasoning_settings_refused_where_unsupported(
    store, openai_server, anthropic_server, role, message
):
    base = openai_server if role["model"].startswith("openai") else anthropic_server
    with pytest.raises(ExperimentError, match=rf"^roles\.judge: .*{message}"):
        asyncio.run(
            run_experiment(debate(openai_server, role | {"base_url": base.base_url}), store)
        )


def tokens(*pairs):
    return [
        TokenLogprob(token=t, logprob=lp, top=[TokenChoice(token=t, logprob=lp)]) for t, lp in pairs
    ]


def test_logprob_reader_edge_cases():
    shown = [1, 0]
    no_answer = read_logprobs("A", tokens(("A", 0.0)), shown, 2, ["A", "B"])
    assert no_answer.status == "unparseable" and "no 'Answer:'" in no_answer.reason
    none_returned = read_logprobs("Answer: A", None, shown, 2, ["A", "B"])
    assert none_returned.reason == "the server returned no token log-probabilities"
    no_label = read_logprobs(
        "Answer: maybe", tokens(("Answer", 0), (":", 0), (" maybe", -0.1)), shown, 2, ["A", "B"]
    )
    assert no_label.status == "unparseable" and "no answer label" in no_label.reason
    tie = TokenLogprob(
        token=" A",
        logprob=-0.7,
        top=[TokenChoice(token=" A", logprob=-0.7), TokenChoice(token=" B", logprob=-0.7)],
    )
    tied = read_logprobs("Answer: A", [*tokens(("Answer", 0), (":", 0)), tie], shown, 2, ["A", "B"])
    assert tied.status == "unparseable" and "equally probable" in tied.reason
    # a forced prefix ("Answer:" written, not generated) has no tokens of its own
    forced = read_logprobs("Answer: B", tokens((" B", -0.01)), shown, 2, ["A", "B"])
    assert forced.status == "ok" and forced.choice == 0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Answer: A", "not JSON"),
        ('{"answer": "A", "confidence": 80}', "reasoning: Field required"),
        ('{"answer": "C", "confidence": 80, "reasoning": ""}', "is not one of A, B"),
        ('["A"]', "reply: Input should be"),
    ],
)
def test_structured_reply_that_does_not_fit_is_unparseable(text, reason):
    verdict = read_structured(text, [0, 1], 2, ["A", "B"])
    assert verdict.status == "unparseable" and verdict.choice is None
    assert reason in verdict.reason and verdict.raw == text


def test_votes_with_a_logprobs_judge_are_refused(store, openai_server):
    judge = {"model": "openai/j", "base_url": openai_server.base_url}
    exp = debate(openai_server, judge | {"verdict_mode": "logprobs", "votes": 3})
    with pytest.raises(ExperimentError, match=r"^roles\.judge: votes cannot be combined"):
        asyncio.run(run_experiment(exp, store))


def test_structured_judge_with_votes_reads_each_vote_as_json(store, openai_server):
    openai_server.responder = reply
    judge = {"model": "openai/j", "base_url": openai_server.base_url}
    record = run(debate(openai_server, judge | {"verdict_mode": "structured", "votes": 3}), store)
    assert record.verdict.status == "ok"
    assert record.verdict.choice == record.assignment.display_order[1]


def test_rejudge_in_another_mode_is_a_rater_of_its_own_in_the_analysis(store, openai_server):
    from playground.analysis import load_frames
    from playground.analysis.agreement import agreement
    from playground.analysis.calibration import calibration_summary
    from playground.analysis.metrics import position_bias
    from playground.experiments.fork import fork

    openai_server.responder = reply
    openai_server.alternatives = {"A": {" A": -0.5, " B": -1.0}}
    judge = {"model": "openai/j", "base_url": openai_server.base_url}
    summary = asyncio.run(run_experiment(debate(openai_server, judge), store))
    [view] = store.transcripts_of(summary.info.id)
    changes = {"roles": {"judge": {"verdict_mode": "logprobs"}}}
    rejudged = asyncio.run(fork(store, view.id, changes=changes))

    frames = load_frames(store, [summary.info.id, rejudged.info.id])
    verdicts = frames.verdicts
    assert sorted(verdicts["verdict_mode"]) == ["logprobs", "stated"]
    judges = sorted(verdicts["judge"].astype(str), key=len)
    assert "mode" not in judges[0] and judges[1] == f"{judges[0]} · logprobs mode"
    _, pairs, _ = agreement(verdicts)
    [pair] = pairs.to_dict("records")
    assert {pair["judge_1"], pair["judge_2"]} == set(judges) and pair["subjects"] == 1
    assert pair["percent_agreement"] == 1.0  # both chose A
    assert set(calibration_summary(verdicts)["judge"].astype(str)) == set(judges)
    assert set(position_bias(verdicts)["judge"].astype(str)) == set(judges)
