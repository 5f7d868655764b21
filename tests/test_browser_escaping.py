"""Untrusted text stays text in real headless Chromium: with image and link Markdown, HTML and
plotly markup planted in a run name, the model name a server reports, a verdict reason, item
ids, a tag, model and role names and dataset text (tests/hostile.py), opening the Runs page for
each run and the Analysis page makes the browser request nothing from the planted address."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hostile import plant
from test_browser import CHROMIUM, page, served  # noqa: F401  (fixtures)

from playground.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


class Trap(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that records every request made to it (and answers 404)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        trap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                trap.requests.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def trap() -> Iterator[Trap]:
    server = Trap()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def planted(served, openai_server, trap, tmp_path) -> list[str]:  # noqa: F811
    """The hostile runs, logged before Playwright starts its event loop."""
    return plant(Store(str(served.db)), tmp_path, openai_server, trap.url)


def settle(page) -> None:  # noqa: F811
    """Let the page finish drawing and any image it was made to show finish loading."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)


def test_planted_text_makes_the_browser_fetch_nothing(served, planted, trap, page):  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for run_id in planted:
        page.goto(f"{served.url}/runs?run={quote(run_id)}")
        page.get_by_role("heading", name="Runs").wait_for()
        page.get_by_text("Transcripts (1)").wait_for()
        page.get_by_text("Configuration and provenance").wait_for()
        settle(page)
        assert trap.requests == [], run_id
        body = page.inner_text("[data-testid=stMain]")
        assert "![i](" in body  # the planted Markdown is there, as text
        assert not page.locator("[data-testid=stMain] img[src*='127.0.0.1']").count()
        assert not page.locator("[data-testid=stException]").count()
    page.screenshot(path="/tmp/playground-escaping-runs.png", full_page=True)

    page.goto(f"{served.url}/analysis")
    page.get_by_role("heading", name="Analysis").wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    page.get_by_text("Models, prompts and options").click()  # labels built from role names
    for tab in page.get_by_role("tab").all():  # every section; hover labels drawn on demand
        tab.click()
        for plot in page.locator(".js-plotly-plot").all():
            if plot.is_visible():
                plot.hover()
    settle(page)
    page.screenshot(path="/tmp/playground-escaping-analysis.png", full_page=True)
    assert not page.locator("[data-testid=stException]").count()
    # plotly draws its markup (links, bold) into the SVG: none of the planted one got there
    links = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot a'))"
        ".map(a => a.getAttribute('xlink:href') || a.getAttribute('href') || '')"
    )
    assert not [link for link in links if trap.url in link]
    assert page.locator(".js-plotly-plot text", has_text="<b>b</b>").count()

    assert trap.requests == []
    assert not errors
