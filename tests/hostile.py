"""A store full of untrusted text that tries to become markup: a run logged for real against a
loopback OpenAI-compatible server that reports a hostile model name, on a dataset whose ids and
text are hostile, with a hostile run name and tag; and a doctored export imported beside it
(hostile run id, role, models and verdict reason). Every string carries an image, a link and an
HTML image pointing at ``url``, a Streamlit directive, LaTeX and plotly markup, and opens with a
backtick to break out of any code span it is put in."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from analysis_fixtures import record

from playground.experiments import parse_experiment, run_experiment
from playground.store import Store
from playground.store.importer import import_records
from playground.store.tags import set_run_tags


def hostile(url: str, what: str) -> str:
    return (
        f"{what}` ![i]({url}/{what}.png) [l]({url}/{what}-link) <img src={url}/{what}-html.png> "
        f":red[x] $x$ <b>b</b><a href='{url}/{what}-plotly'>a</a>"
    )


def responder(url: str):
    def reply(body: dict) -> str:
        system = body["messages"][0]["content"]
        if "fair judge" in system:
            return "Answer: A\nConfidence: 80"
        return "I argue " + hostile(url, "speech")

    return reply


def plant(store: Store, tmp_path: Path, server, url: str) -> list[str]:
    """Log the hostile runs into ``store``; return their ids (the real run first)."""
    dataset = tmp_path / "hostile.jsonl"
    item = {
        "id": hostile(url, "item"),
        "question": hostile(url, "question"),
        "answers": [hostile(url, "answer"), "Green"],
        "correct": 0,
        "passage": hostile(url, "passage"),
    }
    dataset.write_text(json.dumps(item) + "\n", encoding="utf-8")
    server.served_model = hostile(url, "served-model")
    server.responder = responder(url)
    seat = {"model": "openai/" + hostile(url, "model"), "base_url": server.base_url}
    experiment = parse_experiment(
        {
            "name": hostile(url, "run-name"),
            "protocol": "debate",
            "dataset": str(dataset),
            "options": {"rounds": 1, "swap_positions": False},
            "roles": {"debater": seat, "judge": seat},
        }
    )
    summary = asyncio.run(run_experiment(experiment, store))
    assert summary.info.status == "done", summary.info
    set_run_tags(store, summary.info.id, [hostile(url, "tag")])
    imported = record(
        hostile(url, "imported-run"),
        hostile(url, "imported-item"),
        choice=None,
        status="unparseable",
        judge=hostile(url, "judge-model"),
        debaters=(hostile(url, "debater-model"), "deb/b"),
        dataset=hostile(url, "dataset"),
    )
    verdict = imported.verdict.model_copy(update={"reason": hostile(url, "reason")})
    import_records(store, [imported.model_copy(update={"verdict": verdict})])
    return [summary.info.id, imported.run_id]
