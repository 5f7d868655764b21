"""The app served by `streamlit run` and driven in headless Debian Chromium through Playwright:
a real debate on the embedded model streams in, and the Runs page lists what was logged."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from playground.store import Store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LATEST_SCREENSHOT = Path("/tmp/playground-debate.png")
# Records every chat-message text the page shows while it still ends in the streaming cursor
# (an observer sees each DOM change; polling could miss a short turn).
WATCH_PARTIAL_TEXT = """() => {
  window.partialTexts = new Set();
  new MutationObserver(() => {
    for (const m of document.querySelectorAll('[data-testid=stChatMessage]')) {
      if (m.innerText.includes('▌')) window.partialTexts.add(m.innerText);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


@dataclass
class Served:
    url: str
    db: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{log.read_text()}")


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    """`streamlit run app.py` on a free loopback port with a fresh store; killed afterwards."""
    port, db, log = free_port(), tmp_path / "log.db", tmp_path / "streamlit.log"
    env = {**os.environ, "PLAYGROUND_DB": str(db)}
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        yield Served(url, db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def set_slider(tab, slider, value: float) -> None:
    """Move a Streamlit slider to ``value`` with the arrow keys, as a person would."""
    slider.focus()
    for _ in range(40):
        now = float(slider.input_value())
        if abs(now - value) < 1e-9:
            return
        tab.keyboard.press("ArrowRight" if now < value else "ArrowLeft")


def fill_until_kept(tab, fill, kept, tries: int = 5) -> None:
    """Fill a person's form with ``fill()`` until ``kept()`` holds half a second later.

    Streamlit sends a rerun's elements one by one, so the panel of a new request can be on
    screen while the previous request's form is still in place below it, about to be replaced;
    an entry made in that form is lost with it."""
    for _ in range(tries):
        fill()
        tab.wait_for_timeout(500)
        if kept():
            return
    raise AssertionError("the form did not keep what was entered")


@pytest.fixture
def page(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 2800})
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


@pytest.mark.embedded
def test_debate_on_the_embedded_model_streams_and_is_logged(served, page, tmp_path):
    page.goto(served.url)
    run_button = page.get_by_role("button", name="Run debate")
    run_button.wait_for()
    rounds = page.get_by_role("spinbutton", name="Rounds")
    rounds.fill("1")
    rounds.press("Enter")
    page.wait_for_timeout(300)  # let the rerun that commits the value land before clicking
    page.evaluate(WATCH_PARTIAL_TEXT)
    run_button.click()
    page.get_by_text("Logged as run").wait_for(timeout=50_000)
    page.get_by_text("Debate finished").wait_for()
    # text arrived piece by piece: a turn was shown unfinished, with the streaming cursor
    assert page.evaluate("window.partialTexts.size") >= 1

    messages = page.locator("[data-testid=stChatMessage]")
    assert messages.count() == 3  # one round: Debater A, Debater B, then the Judge
    # each message: a header line, the model's text, a usage line
    speeches = [
        messages.nth(i).locator("[data-testid=stMarkdownContainer]").nth(1) for i in range(2)
    ]
    assert all(s.inner_text().strip() for s in speeches)
    assert "▌" not in page.inner_text("body")
    markers = ("Correct", "Wrong", "UNPARSEABLE", "ERROR")
    verdict = page.locator("[data-testid=stVerticalBlock]").filter(has_text="Judge verdict").last
    assert any(m in verdict.inner_text() for m in markers)

    shot = tmp_path / "debate.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, LATEST_SCREENSHOT)

    [run] = Store(str(served.db)).list_runs()
    assert run.source == "page" and run.status == "done"
    assert sum(run.verdicts.values()) == 1
    [view] = Store(str(served.db)).transcripts_of(run.id)
    assert [t.model for t in view.turns] == ["local/smollm2"] * 3
    assert all(t.content.strip() and t.output_tokens for t in view.turns)
    assert run.id in page.inner_text("body")


@pytest.fixture
def logged_run(served) -> str:
    """A scripted run in the served store (made before Playwright starts its event loop)."""
    from test_pages import scripted_run

    return scripted_run(Store(str(served.db)))


def test_runs_page_lists_a_logged_run(served, logged_run, page, tmp_path):
    run_id = logged_run
    page.goto(served.url)
    page.get_by_role("button", name="Run debate").wait_for()
    page.locator("[data-testid=stSidebarNavLink]", has_text="Runs").click()
    page.get_by_role("heading", name="Runs", exact=True).wait_for()
    # elements appear as their components load (the frontend fetches them on first use)
    page.get_by_text("Judge verdict").wait_for()
    for text in ("Export JSONL (4 verdicts)", "OK verdicts"):
        page.get_by_text(text, exact=True).wait_for()
    page.locator("[data-testid=stCaptionContainer]", has_text=run_id).wait_for()
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)
    body = page.inner_text("body")
    assert "scripted run" in body
    assert "OK verdicts\n\n2" in body
    shutil.copy(tmp_path / "runs.png", LATEST_SCREENSHOT.with_name("playground-runs.png"))
