"""Which local dataset files may be read: pages only under the data directories of the local
settings (``PLAYGROUND_DATA_DIRS``, ``data_dirs`` in the settings file), and in safe mode
everything only there; a path outside is refused in one line. What the pages list under them,
with the format each file looks like."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from test_datasets_formats import (
    GPQA_HEADER,
    gpqa_row,
    mmlu_rows,
    quality_article,
    quality_question,
    write_csv,
)

from playground.datasets import DatasetError, load_dataset
from playground.datasets.access import check_readable, file_ref, guess_format, local_files
from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel
from playground.settings import load_settings


def write_quality(path, questions=(1, 2)):
    article = quality_article("7", "7_X", [quality_question(n, 1, 0) for n in questions])
    path.write_text(json.dumps(article) + "\n")
    return path


@pytest.fixture
def data(tmp_path, monkeypatch):
    """An allowed data directory holding one file of each format, and a file outside it."""
    root = tmp_path / "data"
    (root / "mmlu").mkdir(parents=True)
    write_quality(root / "QuALITY.v1.0.1.htmlstripped.dev")
    write_csv(root / "gpqa_diamond.csv", [GPQA_HEADER, gpqa_row(1), gpqa_row(2)])
    write_csv(root / "mmlu" / "anatomy_test.csv", mmlu_rows("anatomy", 2))
    (root / "items.jsonl").write_text(
        json.dumps({"id": "i1", "question": "Q?", "answers": ["a", "b"], "correct": 0}) + "\n"
    )
    (root / ".hidden.jsonl").write_text("")
    (root / "notes.md").write_text("not a dataset")
    outside = write_quality(tmp_path / "secret.dev")
    (root / "link.dev").symlink_to(outside)  # a link leading out of the directory
    monkeypatch.setenv("PLAYGROUND_DATA_DIRS", str(root))
    return root, outside


def test_pages_read_only_under_the_data_directories(data):
    root, outside = data
    inside = root / "QuALITY.v1.0.1.htmlstripped.dev"
    assert len(load_dataset(f"quality:{inside}?difficult=0", page=True)) == 2
    with pytest.raises(DatasetError) as refused:
        load_dataset(f"quality:{outside}", page=True)
    message = str(refused.value)
    assert "\n" not in message
    assert (
        f"quality:{outside}: {outside} is not under an allowed data directory ({root})" in message
    )
    assert "PLAYGROUND_DATA_DIRS or data_dirs in" in message
    with pytest.raises(DatasetError, match="not under an allowed data directory"):
        load_dataset(f"quality:{root / 'link.dev'}", page=True)  # the link is followed first
    with pytest.raises(DatasetError, match="not under an allowed data directory"):
        load_dataset(str(root / ".." / "secret.dev"), page=True)
    # outside safe mode the CLI and the library read any file the user names
    assert len(load_dataset(f"quality:{outside}")) == 2


def test_no_directory_allowed_refuses_every_file_on_a_page(tmp_path, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DATA_DIRS", raising=False)
    file = write_quality(tmp_path / "q.dev")
    with pytest.raises(DatasetError, match=r"not under an allowed data directory \(none yet\)"):
        load_dataset(f"quality:{file}", page=True)
    assert len(load_dataset("builtin:reading", page=True)) > 0  # built-ins are no files
    assert local_files() == []


def test_safe_mode_holds_every_caller_to_the_data_directories(data, monkeypatch, store):
    root, outside = data
    monkeypatch.setenv("PLAYGROUND_SAFE", "1")
    with pytest.raises(DatasetError, match=r"safe mode is on \(PLAYGROUND_SAFE=1\)"):
        load_dataset(f"quality:{outside}")
    assert len(load_dataset(f"quality:{root / 'QuALITY.v1.0.1.htmlstripped.dev'}")) == 2
    exp = parse_experiment({
        "name": "s", "protocol": "blind", "dataset": f"quality:{outside}",
        "roles": {"judge": {"model": "scripted/j"}},
    })  # fmt: skip
    judge = ScriptedModel(["Answer: A\nConfidence: 60"])
    with pytest.raises((DatasetError, ExperimentError), match="not under an allowed data dir"):
        asyncio.run(run_experiment(exp, store, models={"judge": judge}))
    assert judge.calls == []


def test_the_allowlist_comes_from_the_settings_file_and_the_environment(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'data_dirs = ["{first}"]\n')
    monkeypatch.setenv("PLAYGROUND_SETTINGS", str(settings))
    monkeypatch.setenv("PLAYGROUND_DATA_DIRS", f"{second}{os.pathsep}")
    assert load_settings().data_dirs == [first.resolve(), second.resolve()]
    assert check_readable(first / "x.csv", "x", page=True) == (first / "x.csv").resolve()
    settings.write_text('data_dirs = "not a list"\n')
    with pytest.raises(DatasetError, match=r"x: settings file .*: data_dirs: "):
        check_readable(first / "x.csv", "x", page=True)
    # an experiment file cannot carry an allowlist
    with pytest.raises(ExperimentError, match="data_dirs"):
        parse_experiment({"name": "e", "protocol": "blind", "dataset": "builtin:reading",
                          "data_dirs": [str(tmp_path)], "roles": {"judge": {"model": "x/y"}}})  # fmt: skip


def test_local_files_lists_datasets_with_their_format(data):
    root, _ = data
    files = {f.label: f.format for f in local_files()}
    assert files == {
        "data/QuALITY.v1.0.1.htmlstripped.dev": "quality",
        "data/gpqa_diamond.csv": "gpqa",
        "data/items.jsonl": "jsonl",
        "data/mmlu/anatomy_test.csv": "mmlu",
    }  # hidden files, other files and the link out are not listed
    assert guess_format(root / "mmlu") == "mmlu"
    assert (
        file_ref("quality", root / "q.dev", "difficult=1")
        == f"quality:{root / 'q.dev'}?difficult=1"
    )
    assert file_ref("jsonl", root / "items.jsonl") == str(root / "items.jsonl")
    with pytest.raises(DatasetError, match="a JSONL file takes no parameters"):
        file_ref("jsonl", root / "items.jsonl", "x=1")


def test_a_saved_hugging_face_folder_is_listed_as_one_hf_dataset(data, monkeypatch):
    root, _ = data
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    hf = pytest.importorskip("datasets")
    hf.disable_progress_bars()
    rows = {"question": ["Q1?", "Q2?"], "choices": [["a", "b"], ["c", "d"]], "answer": [0, 1]}
    hf.Dataset.from_dict(rows).save_to_disk(str(root / "saved"))
    hf.Dataset.from_dict(rows).to_parquet(str(root / "rows.parquet"))
    files = {f.label: f.format for f in local_files()}
    assert files["data/saved"] == "hf" and files["data/rows.parquet"] == "hf"
    assert not any(label.startswith("data/saved/") for label in files)
    ref = file_ref("hf", root / "saved", "question=question&answers=choices&correct=answer")
    assert [i.correct for i in load_dataset(ref, page=True).items] == [0, 1]
