"""Loaders for the field's released files, on small fixtures written in exactly their format:
QuALITY's JSONL, GPQA's CSV, MMLU's header-less CSV, and Hugging Face datasets saved by the
`datasets` library itself (save_to_disk, Parquet). Bad rows are one-line errors naming the
file, row and field; `playground datasets inspect` prints counts, histograms and a sample."""

from __future__ import annotations

import asyncio
import csv
import json

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.datasets import DatasetError, load_dataset
from playground.experiments import parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel

ARTICLE = "<html><p>The probe left Mars in 2051.</p><p>Its pilot, Vel, was twelve.</p></html>"


def quality_question(n, gold, difficult, **extra):
    """A question as QuALITY v1.0.1 writes it, validation annotations included."""
    return {
        "question": f"Question {n} about the probe?",
        "question_unique_id": f"52995_I3M5VUMM_{n}",
        "options": [f"option {n}.{k}" for k in range(1, 5)],
        "writer_label": gold,
        "gold_label": gold,
        "validation": [{"untimed_annotator_id": "0013", "untimed_answer": gold,
                        "untimed_eval1_answerability": 1, "untimed_eval2_context": 2,
                        "untimed_eval3_distractor": 1}],
        "speed_validation": [{"speed_annotator_id": "0020", "speed_answer": 1}],
        "difficult": difficult,
        **extra,
    }  # fmt: skip


def quality_article(article_id, set_id, questions):
    return {
        "article_id": article_id, "set_unique_id": set_id, "batch_num": "22",
        "writer_id": "1017", "source": "Gutenberg", "title": "The Long Probe", "year": 1956,
        "author": "Someone", "topic": "Science fiction", "url": "http://example.org/1",
        "license": "public domain", "article": ARTICLE, "questions": questions,
    }  # fmt: skip


@pytest.fixture
def quality(tmp_path):
    lines = [
        quality_article("52995", "52995_I3M5VUMM", [
            quality_question(1, 3, 0), quality_question(2, 1, 1), quality_question(3, 4, 1)]),
        quality_article("52995", "52995_Q9BX", [
            {**quality_question(4, 2, 0), "question_unique_id": "52995_Q9BX_1"}]),
    ]  # fmt: skip
    path = tmp_path / "QuALITY.v1.0.1.htmlstripped.dev"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_quality_items_passage_gold_label_and_the_hard_subset(quality):
    data = load_dataset(f"quality:{quality}")
    assert [i.id for i in data.items] == [
        "52995_I3M5VUMM_1", "52995_I3M5VUMM_2", "52995_I3M5VUMM_3", "52995_Q9BX_1"]  # fmt: skip
    first = data.items[0]
    assert first.passage == ARTICLE and first.question == "Question 1 about the probe?"
    assert first.answers == ["option 1.1", "option 1.2", "option 1.3", "option 1.4"]
    assert first.correct == 2  # gold_label 3, counted from 1
    assert [i.correct for i in data.items] == [2, 0, 3, 1]
    assert first.meta == {"source": "quality", "article_id": "52995", "difficult": 0,
                          "set_unique_id": "52995_I3M5VUMM", "title": "The Long Probe"}  # fmt: skip
    hard = load_dataset(f"quality:{quality}?difficult=1")
    assert [i.id for i in hard.items] == ["52995_I3M5VUMM_2", "52995_I3M5VUMM_3"]
    assert "difficult=1" in hard.description
    easy = load_dataset(f"quality:{quality}?difficult=0")
    assert [i.id for i in easy.items] == ["52995_I3M5VUMM_1", "52995_Q9BX_1"]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (quality_question(1, 0, 0), r"line 1 question 2: field 'gold_label' must be 1 to 4 \(1-based\), got 0"),
        ({**quality_question(1, 1, 0), "gold_label": None}, r"line 1 question 2: field 'gold_label' is missing \(the test split has none\)"),
        ({**quality_question(1, 1, 0), "difficult": "yes"}, r"line 1 question 2: field 'difficult' must be 0 or 1"),
        ({**quality_question(1, 1, 0), "options": ["a", "a", "b", "c"]}, r"line 1 question 2: field 'options\[1\]' repeats 'options\[0\]'"),
        ({**quality_question(1, 1, 0), "options": ["a", "", "b", "c"]}, r"line 1 question 2: field 'options\[1\]' is empty"),
    ],
)  # fmt: skip
def test_quality_bad_rows_name_file_line_question_and_field(tmp_path, question, message):
    path = tmp_path / "q.jsonl"
    good = quality_question(9, 1, 0)
    path.write_text(json.dumps(quality_article("1", "1_A", [good, question])) + "\n")
    with pytest.raises(DatasetError, match=f"^{tmp_path}/q.jsonl {message}") as error:
        load_dataset(f"quality:{path}")
    assert "\n" not in str(error.value)


def test_quality_refuses_unknown_parameters_and_missing_files(quality, tmp_path):
    with pytest.raises(DatasetError, match=r"difficult': 'hard' is not one of any, 0, 1"):
        load_dataset(f"quality:{quality}?difficult=hard")
    with pytest.raises(DatasetError, match=r"unknown parameter 'split' \(known: difficult\)"):
        load_dataset(f"quality:{quality}?split=dev")
    with pytest.raises(DatasetError, match=r"nope.jsonl: no such file"):
        load_dataset(f"quality:{tmp_path / 'nope.jsonl'}")


GPQA_HEADER = [
    "Pre-Revision Question", "Pre-Revision Correct Answer", "Question", "Correct Answer",
    "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Explanation",
    "Record ID", "High-level domain", "Subdomain",
]  # fmt: skip


def gpqa_row(n, question=None, **cells):
    row = {
        "Pre-Revision Question": "old", "Pre-Revision Correct Answer": "old",
        "Question": question or f"A two-line\nquestion {n}, with a comma?",
        "Correct Answer": f"right {n}", "Incorrect Answer 1": f"wrong {n}a",
        "Incorrect Answer 2": f"wrong {n}b", "Incorrect Answer 3": f"wrong {n}c",
        "Explanation": "because", "Record ID": f"recA{n}", "High-level domain": "Physics",
        "Subdomain": "Quantum Mechanics",
    } | cells  # fmt: skip
    return [row[c] for c in GPQA_HEADER]


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_gpqa_answers_are_shuffled_from_the_seed_and_the_order_is_recorded(tmp_path):
    path = write_csv(
        tmp_path / "gpqa_diamond.csv", [GPQA_HEADER, *(gpqa_row(n) for n in range(12))]
    )
    first = load_dataset(f"gpqa:{path}", seed=3)
    again = load_dataset(f"gpqa:{path}", seed=3)
    other = load_dataset(f"gpqa:{path}", seed=4)
    assert [i.answers for i in first.items] == [i.answers for i in again.items]
    assert [i.answers for i in first.items] != [i.answers for i in other.items]
    assert len({i.correct for i in first.items}) > 1  # not always first, as in the file
    for n, item in enumerate(first.items):
        original = [f"right {n}", f"wrong {n}a", f"wrong {n}b", f"wrong {n}c"]
        assert item.id == f"recA{n}" and item.question == f"A two-line\nquestion {n}, with a comma?"
        assert item.answers[item.correct] == f"right {n}"
        order = item.meta["answer_order"]
        assert sorted(order) == [0, 1, 2, 3] and item.answers == [original[i] for i in order]
        assert item.meta["shuffle_seed"] == 3 and item.meta["domain"] == "Physics"
        assert item.meta["subdomain"] == "Quantum Mechanics"
    # an item's order depends on its record id and the seed only, not on its row
    reordered = write_csv(
        tmp_path / "r.csv", [GPQA_HEADER, *(gpqa_row(n) for n in reversed(range(12)))]
    )
    by_id = {i.id: i.answers for i in load_dataset(f"gpqa:{reordered}", seed=3).items}
    assert all(by_id[i.id] == i.answers for i in first.items)
    assert "seed=3" in first.description


def test_gpqa_bad_rows_name_the_row_line_and_column(tmp_path):
    path = write_csv(
        tmp_path / "g.csv", [GPQA_HEADER, gpqa_row(0), gpqa_row(1, **{"Incorrect Answer 2": " "})]
    )
    with pytest.raises(
        DatasetError, match=r"g.csv row 2 \(line 4\): field 'Incorrect Answer 2' is empty$"
    ):
        load_dataset(f"gpqa:{path}")  # row 1 spans lines 2-3: its question has a line break
    missing = write_csv(tmp_path / "m.csv", [GPQA_HEADER[:5], gpqa_row(0)[:5]])
    with pytest.raises(DatasetError, match=r"m.csv: no column 'Incorrect Answer 2' in the header"):
        load_dataset(f"gpqa:{missing}")
    dup = write_csv(tmp_path / "d.csv", [GPQA_HEADER, gpqa_row(0), gpqa_row(0)])
    with pytest.raises(
        DatasetError, match=r"d.csv row 2 \(line 4\): duplicate id 'recA0' \(first at row 1"
    ):
        load_dataset(f"gpqa:{dup}")  # fmt: skip


def mmlu_rows(subject, n):
    return [[f"{subject} question {k}, with a comma\nand a line break", "w", "x", "y", "z",
             "ABCD"[k % 4]] for k in range(n)]  # fmt: skip


def test_mmlu_file_and_folder(tmp_path):
    folder = tmp_path / "test"
    folder.mkdir()
    write_csv(folder / "abstract_algebra_test.csv", mmlu_rows("algebra", 5))
    write_csv(folder / "anatomy_test.csv", mmlu_rows("anatomy", 3))
    one = load_dataset(f"mmlu:{folder / 'anatomy_test.csv'}")
    assert [i.id for i in one.items] == ["anatomy_test-1", "anatomy_test-2", "anatomy_test-3"]
    assert [i.correct for i in one.items] == [0, 1, 2]
    assert one.items[0].answers == ["w", "x", "y", "z"]
    assert one.items[0].meta == {"source": "mmlu", "subject": "anatomy"}
    both = load_dataset(f"mmlu:{folder}")
    assert len(both) == 8 and both.items[4].correct == 0  # algebra's fifth row: letters wrap to A
    assert {i.meta["subject"] for i in both.items} == {"abstract_algebra", "anatomy"}


def test_mmlu_bad_rows(tmp_path):
    header = write_csv(tmp_path / "h.csv", [["question", "A", "B", "C", "D", "answer"]])
    with pytest.raises(
        DatasetError,
        match=r"h.csv row 1 \(line 1\): column 6 \(answer\): 'answer' is not one of A, B, C, D \(an MMLU CSV has no header row\)",
    ):
        load_dataset(f"mmlu:{header}")
    letter = write_csv(
        tmp_path / "l.csv", [["q?", "a", "b", "c", "d", "A"], ["q2?", "a", "b", "c", "d", "E"]]
    )
    with pytest.raises(
        DatasetError,
        match=r"l.csv row 2 \(line 2\): column 6 \(answer\): 'E' is not one of A, B, C, D$",
    ):
        load_dataset(f"mmlu:{letter}")
    blank = write_csv(tmp_path / "b.csv", [["q?", "a", "", "c", "d", "A"]])
    with pytest.raises(
        DatasetError, match=r"b.csv row 1 \(line 1\): field 'column 3 \(option B\)' is empty"
    ):
        load_dataset(f"mmlu:{blank}")  # fmt: skip


@pytest.fixture
def hf_datasets(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")  # the dev extra installs it
    datasets.disable_progress_bars()
    return datasets


MMLU_LIKE = {
    "question": ["What is 2+2?", "Which is a noble gas?", "Capital of Peru?"],
    "subject": ["arithmetic", "chemistry", "geography"],
    "choices": [["3", "4", "5", "6"], ["Neon", "Iron", "Tin", "Lead"], ["Lima", "Quito", "Cusco", "Bogotá"]],
    "answer": [1, 0, 0],
}  # fmt: skip


def test_hf_save_to_disk_with_a_list_column(tmp_path, hf_datasets):
    features = hf_datasets.Features({
        "question": hf_datasets.Value("string"), "subject": hf_datasets.Value("string"),
        "choices": hf_datasets.Sequence(hf_datasets.Value("string")),
        "answer": hf_datasets.ClassLabel(names=["A", "B", "C", "D"]),
    })  # fmt: skip
    saved = tmp_path / "mmlu_all"
    hf_datasets.Dataset.from_dict(MMLU_LIKE, features=features).save_to_disk(str(saved))
    data = load_dataset(f"hf:{saved}?answers=choices&correct=answer")
    assert [i.id for i in data.items] == ["mmlu_all-1", "mmlu_all-2", "mmlu_all-3"]
    assert [i.answers[i.correct] for i in data.items] == ["4", "Neon", "Lima"]
    assert data.items[0].meta == {"source": "hf", "subject": "arithmetic"}
    assert data.items[2].answers[3] == "Bogotá"


def test_hf_dataset_dict_needs_a_split(tmp_path, hf_datasets):
    train = hf_datasets.Dataset.from_dict(MMLU_LIKE)
    test = hf_datasets.Dataset.from_dict({k: v[:1] for k, v in MMLU_LIKE.items()})
    saved = tmp_path / "dict"
    hf_datasets.DatasetDict({"train": train, "test": test}).save_to_disk(str(saved))
    ref = f"hf:{saved}?answers=choices&correct=answer"
    with pytest.raises(DatasetError, match=r"pick a split with split= \(one of train, test\)"):
        load_dataset(ref)
    assert (
        len(load_dataset(ref + "&split=test")) == 1 and len(load_dataset(ref + "&split=train")) == 3
    )
    with pytest.raises(DatasetError, match=r"no split 'dev' \(splits: train, test\)"):
        load_dataset(ref + "&split=dev")


def test_hf_parquet_with_answer_columns_letters_ids_passages_and_one_based_labels(
    tmp_path, hf_datasets
):
    rows = {
        "qid": ["a1", "a2"], "text": ["Story one.", "Story two."], "q": ["Who?", "Where?"],
        "A": ["Ann", "Rome"], "B": ["Bob", "Oslo"], "gold": ["B", "Rome"], "gold_n": [2, 1],
    }  # fmt: skip
    path = tmp_path / "train-00000-of-00001.parquet"
    hf_datasets.Dataset.from_dict(rows).to_parquet(str(path))
    base = f"hf:{path}?question=q&answers=A,B&id=qid&passage=text"
    data = load_dataset(base + "&correct=gold")
    assert [(i.id, i.answers, i.correct, i.passage) for i in data.items] == [
        ("a1", ["Ann", "Bob"], 1, "Story one."), ("a2", ["Rome", "Oslo"], 0, "Story two.")]  # fmt: skip
    assert data.items[0].meta == {"source": "hf", "gold_n": 2}
    ones = load_dataset(base + "&correct=gold_n&correct_base=1")
    assert [i.correct for i in ones.items] == [1, 0]
    folder = load_dataset(f"hf:{tmp_path}?question=q&answers=A,B&correct=gold&split=train")
    assert len(folder) == 2
    with pytest.raises(
        DatasetError,
        match=r"no column 'label' for correct \(columns: qid, text, q, A, B, gold, gold_n; map one with correct=<column>\)",
    ):
        load_dataset(f"hf:{path}?question=q&answers=A,B&correct=label")
    with pytest.raises(
        DatasetError,
        match=r"row 1: column 'gold_n': 2 is out of range for 2 answers \(counting from 0\)",
    ):
        load_dataset(base + "&correct=gold_n")  # 1-based labels read without correct_base=1
    with pytest.raises(DatasetError, match=r"row 1: column 'A' is not a list of answers"):
        load_dataset(f"hf:{path}?question=q&answers=A&correct=gold")  # fmt: skip


def test_datasets_inspect_prints_counts_histograms_and_a_sample(quality):
    result = CliRunner().invoke(cli, ["datasets", "inspect", f"quality:{quality}?difficult=1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "items: 2 · with a passage: 2 · without a true answer: 0" in lines
    assert "  answers  4:      2  100%  ##############################" in lines
    assert "  index  0:      1   50%  ##############################" in lines
    assert "  index  3:      1   50%  ##############################" in lines
    assert "sample 52995_I3M5VUMM_2:" in lines and "  * 0. option 2.1" in lines
    bad = CliRunner().invoke(cli, ["datasets", "inspect", f"quality:{quality}?difficult=2"])
    assert bad.exit_code == 2 and "difficult': '2' is not one of any, 0, 1" in bad.output


def test_datasets_inspect_shows_no_terminal_escapes(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Evil \x1b[31mred\x1b[0m?", "a", "b", "A"]])
    result = CliRunner().invoke(cli, ["datasets", "inspect", f"mmlu:{path}"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "Evil \ufffd[31mred\ufffd[0m?" in result.output


def test_an_experiment_runs_on_a_quality_file(store, quality):
    exp = parse_experiment({
        "name": "q", "protocol": "blind", "dataset": f"quality:{quality}?difficult=1", "seed": 1,
        "roles": {"judge": {"model": "scripted/j"}},
    })  # fmt: skip
    judge = ScriptedModel(lambda m, c: "Answer: A\nConfidence: 60")
    summary = asyncio.run(run_experiment(exp, store, models={"judge": judge}))
    records = list(store.iter_records(summary.info.id))
    assert sorted(r.item_id for r in records) == ["52995_I3M5VUMM_2", "52995_I3M5VUMM_3"]
    assert all(len(r.answers) == 4 and r.provenance.dataset == exp.dataset for r in records)
    assert all(ARTICLE not in c[-1].content for c in judge.calls)  # judges never see the passage


def test_a_gpqa_run_logs_each_item_with_its_shuffle_seed_and_order(store, tmp_path):
    path = write_csv(tmp_path / "gpqa.csv", [GPQA_HEADER, *(gpqa_row(n) for n in range(3))])
    exp = parse_experiment({
        "name": "g", "protocol": "blind", "dataset": f"gpqa:{path}", "seed": 5,
        "roles": {"judge": {"model": "scripted/j"}},
    })  # fmt: skip
    judge = ScriptedModel(lambda m, c: "Answer: B\nConfidence: 60")
    summary = asyncio.run(run_experiment(exp, store, models={"judge": judge}))
    expected = {i.id: i for i in load_dataset(f"gpqa:{path}", seed=5).items}
    records = list(store.iter_records(summary.info.id))
    assert {r.item_id for r in records} == set(expected)
    for record in records:
        item = expected[record.item_id]
        assert record.answers == item.answers and record.correct == item.correct
        meta = record.origin.transcript.item_meta
        assert meta["shuffle_seed"] == 5 and meta["answer_order"] == item.meta["answer_order"]
        assert record.provenance.seed == 5
