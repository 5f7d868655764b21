"""The Analysis page in real headless Chromium, with an empty store and with logged verdicts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from test_browser import CHROMIUM, page, served  # noqa: F401  (fixtures)
from test_debate import experiment, run

from playground.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


def open_analysis(page, url: str) -> None:  # noqa: F811
    page.goto(url)
    page.locator("[data-testid=stSidebarNavLink]").filter(has_text="Analysis").click()
    page.get_by_role("heading", name="Analysis").wait_for()


def test_analysis_page_without_and_with_data(served, page, tiny_dataset):  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_analysis(page, served.url)
    page.get_by_text("log a run on the Debate page").wait_for()

    # Playwright's sync API holds this thread's event loop: log the run from another thread
    worker = threading.Thread(
        target=run, args=(experiment(tiny_dataset, swap_positions=True), Store(str(served.db)))
    )
    worker.start()
    worker.join(60)
    page.reload()
    page.get_by_role("heading", name="Analysis").wait_for()
    page.get_by_text("verdicts from").first.wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 3
    page.screenshot(path="/tmp/playground-analysis.png", full_page=True)
    assert not page.locator("[data-testid=stException]").count()
    assert not errors
