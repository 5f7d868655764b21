"""The Debate page's judge votes and private scratchpad, against the loopback server: three
seeded judge samples make one majority verdict, and the judge never sees the scratchpads."""

import json
import re

from test_pages import TIMEOUT, open_app, use_server


def replies(request: dict) -> str:
    system = request["messages"][0]["content"]
    if "fair judge" in system:
        pick = "B" if request.get("seed") == 1 else "A"
        return f"Answer: {pick}\nConfidence: 90"
    name = re.search(r"You are Debater (\w)", system).group(1)
    return f"<scratchpad>SECRET {name}</scratchpad>Debater {name} says the passage agrees."


def test_votes_and_scratchpad_from_the_debate_page(store, openai_server):
    openai_server.responder = replies
    at = open_app()
    use_server(at, openai_server.base_url)
    at.number_input(key="rounds").set_value(1)
    at.checkbox(key="scratchpad").check()
    at.number_input(key="judge.votes").set_value(3)
    at.number_input(key="judge.temperature").set_value(1.0)
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    [run] = store.list_runs()
    [record] = store.iter_records(run.id)
    votes = [t for t in record.turns if t.meta.get("kind") == "vote"]
    assert [t.params["seed"] for t in votes] == [0, 1, 2]
    assert record.verdict.reason == "majority of 3 votes: A 2, B 1"
    assert record.verdict.credences[record.verdict.choice] == 2 / 3
    assert record.provenance.roles["judge"].votes == 3
    assert all(t.meta["scratchpad"].startswith("SECRET") for t in record.turns if t.round == 1)
    judged = [r.json for r in openai_server.requests if "fair judge" in json.dumps(r.json)]
    assert len(judged) == 3 and not any("SECRET" in json.dumps(b) for b in judged)
