"""Team mode in real headless Chromium, signing in through a real OpenID provider on loopback
(oidc-provider-mock): the first person owns the team, the owner invites through the Admin page,
an annotator sees only the Queue, someone not invited gets nothing, and sign-in is required."""

from __future__ import annotations

from pathlib import Path

import pytest
from team_app import sign_in, team_app
from test_browser import CHROMIUM, CHROMIUM_ARGS

from playground.store import Store
from playground.team import audit, people

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]

NAV = "[data-testid=stSidebarNavLink]"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_tab(browser):
    tab = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
    tab.set_default_timeout(20_000)
    return tab


def nav_titles(tab) -> list[str]:
    tab.locator(NAV).first.wait_for()
    return [t.strip().split("\n")[-1].strip() for t in tab.locator(NAV).all_inner_texts()]


def test_sign_in_roles_and_admin_through_a_real_provider(tmp_path, browser):
    with team_app(tmp_path) as app:
        # nobody signed in: no page of the playground, only the sign-in button
        stranger = new_tab(browser)
        stranger.goto(f"{app.url}/runs")
        stranger.get_by_role("button", name="Sign in").wait_for()
        assert stranger.locator(NAV).count() == 0
        assert "Runs" not in stranger.inner_text("body")

        owner = new_tab(browser)
        sign_in(owner, app, "ada@example.org")
        assert nav_titles(owner)[-2:] == ["Queue", "Admin"] and "Runs" in nav_titles(owner)

        owner.locator(NAV, has_text="Admin").click()
        owner.get_by_role("textbox", name="Email").fill("bob@example.org")
        owner.get_by_role("button", name="Invite").click()
        owner.get_by_text("Invited bob@example.org as researcher").wait_for()

        # not invited: refused, nothing listed
        mallory = new_tab(browser)
        mallory.goto(app.url)
        mallory.get_by_role("button", name="Sign in").click()
        mallory.locator("input[name=sub]").fill("mallory@example.org")
        mallory.get_by_role("button", name="Authorize").click()
        mallory.get_by_text("mallory@example.org is not on this team").wait_for()
        assert mallory.locator(NAV).count() == 0

        bob = new_tab(browser)
        sign_in(bob, app, "bob@example.org")
        assert "Admin" not in nav_titles(bob) and "Runs" in nav_titles(bob)

        # the owner makes Bob an annotator; his next page shows only the Queue
        store = Store(str(app.db))
        people.set_role(store, "bob@example.org", "annotator", by="ada@example.org")
        bob.goto(f"{app.url}/runs")
        bob.get_by_text("Signed in as bob@example.org (annotator)").wait_for()
        bob.get_by_role("heading", name="Queue").wait_for()
        assert bob.locator(NAV).count() == 0 or nav_titles(bob) == ["Queue"]
        assert "Runs" not in bob.inner_text("body")

        # the owner removes Bob: he is out at once
        people.remove(store, "bob@example.org", by="ada@example.org")
        bob.reload()
        bob.get_by_text("bob@example.org is not on this team").wait_for()
        assert "Signed in as" not in bob.inner_text("body")

        actions = [(e.actor, e.action, e.target) for e in audit.events(store)]
        assert actions[0] == ("ada@example.org", "owner.claim", "ada@example.org")
        assert ("ada@example.org", "person.invite", "bob@example.org") in actions
        assert ("bob@example.org", "person.sign_in", "bob@example.org") in actions
        assert not any(a[0] == "mallory@example.org" for a in actions)


def test_team_mode_without_auth_says_so_and_shows_nothing(tmp_path, browser):
    with team_app(tmp_path, auth=False) as app:
        tab = new_tab(browser)
        tab.goto(app.url)
        tab.get_by_text("Team mode: no [auth] section in .streamlit/secrets.toml").wait_for()
        assert tab.locator(NAV).count() == 0
