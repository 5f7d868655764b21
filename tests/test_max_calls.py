"""``max_calls`` / ``--max-calls`` bounds the model calls actually in flight across a run, where
``concurrency`` counts transcripts (a debate round calls both debaters at once)."""

import asyncio

from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel


def reply(messages, config):
    if "You are Debater" in messages[0].content:
        return "The text supports my answer."
    return "Answer: A\nConfidence: 80"


def peak(dataset, store, **top):
    exp = parse_experiment(
        {
            "name": "calls",
            "protocol": "debate",
            "dataset": str(dataset),
            "concurrency": 4,
            "cache": False,  # every call reaches the model
            "options": {"rounds": 1},
            "roles": {"debater": {"model": "scripted/x"}, "judge": {"model": "scripted/x"}},
            **top,
        }
    )
    model = ScriptedModel(reply, delay=0.05)  # one model in every seat: it sees every call
    models = {"debater_a": model, "debater_b": model, "judge": model}
    summary = asyncio.run(run_experiment(exp, store, models=models))
    assert summary.info.verdicts.get("ok", 0) >= 2
    return model.peak_in_flight


def test_concurrency_counts_transcripts_not_calls(store, tiny_dataset):
    assert peak(tiny_dataset, store) > 4  # 4 transcripts, both debaters at once


def test_max_calls_bounds_calls_in_flight(store, tiny_dataset):
    assert peak(tiny_dataset, store, max_calls=3) == 3
    assert peak(tiny_dataset, store, max_calls=1) == 1
