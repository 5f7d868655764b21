"""A person judges a debate in the real page, in headless Debian Chromium: the debaters are the
loopback OpenAI-compatible server, the judge's seat is "A person (you)"; the page shows the
judge's view with quotes marked, the person clicks the form, and the verdict is logged as human."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    fill_until_kept,
    page,
    served,
    set_slider,
)
from test_page_protocols import FIRST_SENTENCE, any_seat

from playground.store import Store

SCREENSHOT = Path("/tmp/playground-human-judge.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


def choose(tab, seat: int, label: str, option: str) -> None:
    """Pick ``option`` in the ``seat``-th selectbox labelled ``label``."""
    box = tab.locator("[data-testid=stSelectbox]").filter(has_text=label).nth(seat)
    box.click()
    tab.get_by_role("option", name=option, exact=True).click()
    tab.wait_for_timeout(300)  # the rerun that draws the seat's new fields


def fill(field, value: str) -> None:
    field.fill(value)
    field.press("Enter")


def judge(tab, label: str, confidence: int) -> None:
    """Fill the judge's form: an answer and a confidence (a multiple of 5)."""
    form = tab.get_by_test_id("stForm")
    radio = form.get_by_role("radio", name=re.compile(f"^Answer {label}"))
    slider = form.get_by_role("slider")

    def fill() -> None:
        # during a rerun Streamlit briefly shows the stale form beside the new one: wait for one
        expect(form.get_by_text("Which answer is correct?")).to_have_count(1, timeout=30_000)
        form.locator("[data-testid=stRadio] label").filter(has_text=f"Answer {label}").click()
        set_slider(tab, slider, confidence)

    fill_until_kept(
        tab, fill, lambda: radio.is_checked() and float(slider.input_value()) == confidence
    )


def test_a_person_judges_a_debate_in_the_browser(served, page, openai_server, tmp_path):  # noqa: F811
    openai_server.responder = any_seat
    page.goto(served.url)
    page.get_by_role("button", name="Run debate").wait_for()
    fill(page.get_by_role("spinbutton", name="Rounds"), "2")
    page.get_by_text("Judge after every round").click()
    choose(page, 0, "Quote verification", "Strict (exact words)")
    for seat in (0, 1):  # Debater A and B
        choose(page, seat, "Provider", "OpenAI-compatible server")
    choose(page, 2, "Provider", "A person (you)")
    page.get_by_text("you are judging").wait_for()
    for seat in (0, 1):
        fill(page.get_by_label("Base URL").nth(seat), openai_server.base_url)
        fill(page.get_by_label("Model", exact=True).nth(seat), "loopback-model")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Run debate").click()

    # after round 1: the judge's interim judgement, with what a model judge would see
    page.get_by_text("Waiting for you: Judge").wait_for()
    seat_view = page.locator("[data-testid=stExpander]").filter(has_text="What this seat sees")
    assert "You are a fair judge" in seat_view.inner_text()
    assert FIRST_SENTENCE in seat_view.inner_text()
    assert "Round 2" not in seat_view.inner_text()
    # a refresh starts a new session: the run's id in the URL brings the page back to it
    assert "live=" in page.url
    page.reload()
    page.get_by_text("Waiting for you: Judge").wait_for()
    judge(page, "A", 60)
    page.get_by_role("button", name="Submit").click()

    # after round 2: the verdict
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(seat_view).to_contain_text("Round 2")
    judge(page, "B", 80)
    page.screenshot(path=str(tmp_path / "judging.png"), full_page=True)
    shutil.copy(tmp_path / "judging.png", SCREENSHOT)
    page.get_by_role("button", name="Submit").click()

    page.get_by_text("Debate finished").wait_for()
    page.get_by_text("Logged as run").wait_for()
    page.get_by_text("Quotes checked against the passage").wait_for()
    page.locator("[data-testid=stPlotlyChart]").wait_for()
    body = page.inner_text("body")
    assert "Chose Answer B" in body and "Answer B 80%" in body
    assert "quotes: 2 verified, 2 unverified" in body
    page.set_viewport_size({"width": 1440, "height": 4400})
    page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / "judged.png"), full_page=True)
    shutil.copy(tmp_path / "judged.png", SCREENSHOT.with_name("playground-human-judged.png"))

    [run] = Store(str(served.db)).list_runs()
    [view] = Store(str(served.db)).transcripts_of(run.id)
    models = [(t.role, t.model) for t in view.turns]
    debaters = [("debater_a", "openai/loopback-model"), ("debater_b", "openai/loopback-model")]
    assert models == [*debaters, ("judge", "human"), *debaters, ("judge", "human")]
    interim, final = (t for t in view.turns if t.role == "judge")
    assert interim.content == "Answer: A\nConfidence: 60" and interim.meta["kind"] == "interim"
    assert final.content == "Answer: B\nConfidence: 80"
    [(_, verdict, _)] = view.verdicts
    assert verdict.status == "ok" and verdict.credences[verdict.choice] == 0.8
    assert re.search(r"verdicts 1 ok", body)
