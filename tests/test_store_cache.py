"""The response cache key: the whole endpoint (query string too) and the role's ``init`` tell
calls apart, and neither is stored raw."""

from __future__ import annotations

import asyncio
import sqlite3

from playground.experiments import Experiment, run_experiment
from playground.providers import Credentials, GenerateConfig, Message, get_model
from playground.store.cache import cache_key

FAKE = "langchain:langchain_core.language_models.fake_chat_models.FakeListChatModel"
ASK = [Message(role="user", content="Which answer?")]


def judged(store, judge_reply: str):
    """A one-item debate whose judge is a langchain fake told to answer ``judge_reply``."""
    experiment = Experiment.model_validate(
        {
            "name": "cache",
            "protocol": "debate",
            "dataset": "builtin:reading",
            "limit": 1,
            "options": {"rounds": 1, "swap_positions": False},
            "roles": {
                "debater": {"model": FAKE, "init": {"responses": ["My answer is right."]}},
                "judge": {"model": FAKE, "init": {"responses": [judge_reply]}},
            },
        }
    )
    summary = asyncio.run(run_experiment(experiment, store))
    [transcript] = store.transcripts_of(summary.info.id)
    return transcript


def test_two_langchain_models_differing_only_in_init_do_not_share_answers(store):
    first = judged(store, "Answer: A\nConfidence: 70")
    second = judged(store, "Answer: B\nConfidence: 60")
    # the debaters are the same model with the same init: answered from the cache
    assert [t.cached for t in second.turns if t.role != "judge"] == [True, True]
    [judge] = [t for t in second.turns if t.role == "judge"]
    assert not judge.cached
    assert [v.choice for _, v, _ in first.verdicts] != [v.choice for _, v, _ in second.verdicts]


def test_the_whole_endpoint_is_in_the_key_and_never_stored(store, tmp_path):
    config = GenerateConfig()

    def key(base_url: str) -> str:
        model = get_model("openai/m", base_url=base_url, credentials=Credentials())
        return cache_key(model, ASK, config)

    plain = key("http://127.0.0.1:9/v1")
    assert key("http://127.0.0.1:9/v1?api-version=2024-10-01") != plain
    assert key("http://127.0.0.1:9/v1?api-version=2025-01-01") != key(
        "http://127.0.0.1:9/v1?api-version=2024-10-01"
    )
    assert key("http://127.0.0.1:9/v1") == plain  # and stable
    model = get_model(FAKE, responses=["x"])
    assert cache_key(model, ASK, config) != cache_key(get_model(FAKE, responses=["y"]), ASK, config)
    assert cache_key(model, ASK, config) == cache_key(get_model(FAKE, responses=["x"]), ASK, config)

    judged(store, "Answer: A\nConfidence: 70")
    with sqlite3.connect(store.url.database) as conn:
        rows = conn.execute("SELECT key, model, response FROM response_cache").fetchall()
    assert rows and all(len(k) == 64 for k, _, _ in rows)
    assert all("responses" not in model and "responses" not in r for _, model, r in rows)


def test_models_say_their_endpoint_and_init_in_public():
    secret = "http://user:pw@127.0.0.1:9/v1?api-version=2024-10-01"
    remote = get_model("openai/m", base_url=secret, credentials=Credentials())
    assert remote.endpoint == secret  # as configured: it only enters the key's hash
    assert "pw" not in str(remote.describe())  # the log sees the scrubbed one
    chat = get_model(FAKE, responses=["x"])
    assert chat.init == {"responses": ["x"]}  # the langchain fields the caller set
    assert remote.init == {}
