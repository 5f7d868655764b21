"""The Analysis page under `AppTest`, reached through `st.navigation` as app.py runs it: with an
empty store and with data (a swapped debate run by the real runner plus a judge panel)."""

from __future__ import annotations

import pytest
from analysis_fixtures import panel_records_for_page
from streamlit.testing.v1 import AppTest
from test_debate import experiment, run
from test_pages import single_page

from playground.store.importer import import_records


@pytest.fixture
def page(tmp_path) -> AppTest:
    """pages/analysis.py alone, navigated like app.py does."""
    return single_page(tmp_path, "analysis.py", "Analysis")


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [i.value for i in at.info])


def test_page_without_data(store, page):
    at = page.run()
    assert not at.exception
    assert at.title[0].value == "Analysis"
    assert "no data for this yet: log a run" in texts(at)
    assert [t.label for t in at.tabs][-1] == "Export"
    assert texts(at).count("no data for this yet") >= 9  # every section says so
    assert not at.get("plotly_chart")


def test_page_with_data(store, tiny_dataset, page):
    summary, _ = run(experiment(tiny_dataset, swap_positions=True), store)
    import_records(store, panel_records_for_page())
    at = page.run()
    assert not at.exception
    assert "**10** verdicts from **2** run(s) · all verdicts" in texts(at)
    assert len(at.get("plotly_chart")) >= 10
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("CSV") >= 10 and labels.count("Figure (HTML)") >= 10
    assert {"JSONL", "Verdicts CSV", "Turns Parquet", "Transcript (Markdown)"} <= set(labels)
    # the panel fills the agreement section; the swapped run the position-bias one
    assert "**pairs**" in texts(at) and "**credence spread**" in texts(at)
    at.multiselect(key="an.runs").set_value([summary.info.id]).run()
    assert not at.exception
    assert f"**6** verdicts from **1** run(s) · runs={summary.info.id}" in texts(at)
    assert "needs transcripts judged more than once" in texts(at)


def test_tags_set_on_the_page_select_cohorts(store, tiny_dataset, page):
    summary, _ = run(experiment(tiny_dataset), store)
    at = page.run()
    at.text_input(key=f"an.tag_text.{summary.info.id}").set_value("baseline, pilot").run()
    at.button(key="an.tag_save").click().run()
    assert not at.exception
    assert store.get_run(summary.info.id).tags == ["baseline", "pilot"]
    at.multiselect(key="an.exclude_tags").set_value(["pilot"]).run()
    assert "**0** verdicts from **0** run(s)" in texts(at)
