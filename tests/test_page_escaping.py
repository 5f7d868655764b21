"""Every kind of untrusted string on the Runs and Analysis pages (run name, the model name a
server reports, model names, verdict reason, item ids, tag, dataset text, run ids in filter
descriptions, plot labels) reaches the page escaped: parsed as Markdown by a CommonMark parser
no element makes an image, a link or HTML, and no plotly label carries markup."""

from __future__ import annotations

import json

from hostile import plant
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from test_pages import APP, TIMEOUT

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
URL = "http://127.0.0.1:9"  # nothing listens there: these tests read what the page would show
KINDS = ["run-name", "served-model", "model", "reason", "item", "tag", "question", "answer",
         "passage", "speech", "imported-run", "judge-model", "debater-model", "dataset"]  # fmt: skip


def markdown_strings(at: AppTest) -> list[str]:
    """Every string the page hands to Streamlit's Markdown: bodies, captions, headings, alerts,
    and the labels of expanders, tabs, metrics and widgets."""
    out = [e.value for kind in ("markdown", "caption", "subheader", "title", "header", "error",
                                "warning", "info", "success") for e in at.get(kind)]  # fmt: skip
    for kind in ("expander", "tab", "metric", "selectbox", "multiselect", "text_input",
                 "button", "download_button"):  # fmt: skip
        out += [e.proto.label for e in at.get(kind)]
    return out


def dangerous(markdown: str) -> list[str]:
    found = []
    for token in PARSER.parse(markdown):
        for t in [token, *(token.children or [])]:
            if t.type in ("image", "link_open", "html_inline", "html_block"):
                found.append(t.type)
    return found


def open_page(path: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def test_runs_page_shows_every_planted_string_as_text(store, openai_server, tmp_path):
    run_ids = plant(store, tmp_path, openai_server, URL)
    shown = []
    for run_id in run_ids:
        at = open_page("pages/runs.py", {"run": run_id})
        strings = markdown_strings(at)
        assert at.query_params["run"] == [run_id] or at.query_params["run"] == run_id
        for value in strings:
            assert not dangerous(value), value
        shown += strings
    text = "\n".join(shown)
    for kind in KINDS:
        assert f"{kind}`" in text.replace("\\", ""), kind  # each kind was on the page


def test_analysis_page_escapes_labels_filters_and_plot_text(store, openai_server, tmp_path):
    run_ids = plant(store, tmp_path, openai_server, URL)
    at = open_page("pages/analysis.py")
    at.multiselect(key="an.runs").set_value(run_ids).run()  # run ids in the filter line
    at.multiselect(key="an.tags").set_value(store.get_run(run_ids[0]).tags).run()
    assert not at.exception
    strings = markdown_strings(at)
    for value in strings:
        assert not dangerous(value), value
    assert any("imported-run\\`" in s for s in strings)  # the filter line names the run, escaped

    labels: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            labels.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    charts = at.get("plotly_chart")
    assert charts
    for chart in charts:
        walk(json.loads(chart.proto.spec)["data"])
    planted = [label for label in labels if "127.0.0.1:9" in label]
    assert planted  # model names and run ids are drawn as ticks, legends and hover text
    assert all("<" not in label for label in planted), planted
    assert any("&lt;b&gt;b&lt;/b&gt;" in label for label in planted)
