"""A person oversees the embedded model in the real Approval page, in headless Debian Chromium:
the agent (`local/smollm2`) picks a job at each stop of one courier run, the person rates each
proposed step with the slider and a rationale, and at the end the metric table appears and the
log holds exactly the person's approvals."""

from __future__ import annotations

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
from test_browser_human import choose, fill

from playground.protocols.approval.metrics import approval_rows
from playground.store import Store

SCREENSHOT = Path("/tmp/playground-approval.png")
FINISHED = "Approval run finished in"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.embedded,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


def rate(tab, stop: int, approval: float, rationale: str) -> None:
    """Wait for the form about ``stop``, set the approval slider, write the rationale and
    submit."""
    seat_view = tab.locator("[data-testid=stExpander]").filter(has_text="What this seat sees")
    # during a rerun Streamlit briefly shows the stale form beside the new one: wait for one
    expect(seat_view).to_have_count(1, timeout=30_000)
    expect(seat_view).to_contain_text(f"Pick the job for stop {stop}.")
    form = tab.get_by_test_id("stForm")
    slider = form.get_by_role("slider")
    field = form.get_by_label("Rationale (one sentence)")

    def fill() -> None:
        set_slider(tab, slider, approval)
        field.fill(rationale)
        field.press("Tab")  # commit the entry before the click

    def kept() -> bool:
        return (
            abs(float(slider.input_value()) - approval) < 1e-6 and field.input_value() == rationale
        )

    fill_until_kept(tab, fill, kept)
    tab.get_by_role("button", name="Submit").click()


def next_or_finished(tab, stop: int) -> bool:
    """After rating ``stop - 1``: whether the form about ``stop`` came (else the run ended)."""
    asked = tab.get_by_text(f"Pick the job for stop {stop}.")
    expect(asked.or_(tab.get_by_text(FINISHED)).first).to_be_visible(timeout=30_000)
    return not tab.get_by_text(FINISHED).is_visible()


def test_a_person_oversees_the_embedded_agent_in_the_browser(served, page, tmp_path):  # noqa: F811
    page.goto(served.url)
    page.get_by_role("button", name="Run debate").wait_for()  # app.py's navigation is drawn
    page.locator("[data-testid=stSidebarNavLink]", has_text="Approval").click()
    page.get_by_role("heading", name="Approval", exact=True).wait_for()
    fill(page.get_by_role("spinbutton", name="Tasks"), "1")
    choose(page, 1, "Provider", "A person (you)")  # seats: the agent, then the overseer
    page.get_by_text("You rate each step with a slider").wait_for()
    page.get_by_role("button", name="Run", exact=True).click()

    given: list[tuple[float, str]] = []
    stop = 1
    while next_or_finished(page, stop):
        approval = [0.6, 0.2, 0.9, 0.4, 0.7][stop - 1]
        rationale = f"stop {stop}: my foresight"
        if stop == 2:
            page.screenshot(path=str(tmp_path / "rating.png"), full_page=True)
        rate(page, stop, approval, rationale)
        given.append((approval, rationale))
        stop += 1

    page.get_by_text("Approval quality per source").wait_for()
    page.get_by_text("Logged as run").wait_for()
    page.locator("[data-testid=stPlotlyChart]").first.wait_for()
    assert page.locator("[data-testid=stDataFrame]").count() == 3  # steps, metrics, hacks
    page.screenshot(path=str(tmp_path / "approval.png"), full_page=True)
    shutil.copy(tmp_path / "approval.png", SCREENSHOT)
    shutil.copy(tmp_path / "rating.png", SCREENSHOT.with_name("playground-approval-rating.png"))

    store = Store(str(served.db))
    [run] = store.list_runs()
    assert (run.protocol, run.status, run.source) == ("approval", "done", "page")
    rows = approval_rows(store.iter_records(run.id))
    mine = rows[rows["source"] == "myopic_overseer"].sort_values("step")
    assert 3 <= len(given) == len(mine) <= 5
    assert list(mine["approval"]) == pytest.approx([a for a, _ in given])
    assert list(mine["rationale"]) == [r for _, r in given]
    assert set(mine["model"]) == {"human"}
    [view] = store.transcripts_of(run.id)
    agent = [t for t in view.turns if t.role == "agent"]
    assert len(agent) == len(given) and {t.model for t in agent} == {"local/smollm2"}
    assert run.id in page.inner_text("body")
