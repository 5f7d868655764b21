"""Shared fixtures: a fresh store per test, loopback servers, small datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["loopback.fixtures", "pg"]


@pytest.fixture(autouse=True)
def _no_user_settings(tmp_path_factory, monkeypatch):
    """Tests never read the developer's own settings file or allowlists (playground.settings)."""
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(tmp_path_factory.getbasetemp() / "none.toml"))
    for name in ("PLAYGROUND_SAFE", "PLAYGROUND_LANGCHAIN_MODULES", "PLAYGROUND_MODEL_DIRS",
                 "PLAYGROUND_DATA_DIRS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(tmp_path, monkeypatch):
    from playground.store import Store

    url = f"sqlite:///{tmp_path / 'log.db'}"
    monkeypatch.setenv("PLAYGROUND_DB", url)
    return Store(url)


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    """Three two-answer items, the second with three answers, as a JSONL file."""
    items = [
        {
            "id": "q1",
            "question": "What colour is the sky in the story?",
            "answers": ["Blue", "Green"],
            "correct": 0,
            "passage": "The sky over Tarn was blue all summer.",
        },
        {
            "id": "q2",
            "question": "How many boats?",
            "answers": ["Three", "Four", "Five"],
            "correct": 1,
        },
        {"id": "q3", "question": "Who won?", "answers": ["Ada", "Bo"], "correct": 1},
    ]
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path
