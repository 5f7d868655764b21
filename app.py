"""Streamlit entry point of the oversight playground: page setup and navigation.

Started by ``playground app`` (``streamlit run app.py``); each page is a short script that
reads its widgets, calls the `playground` library and renders what it returns. In team mode
(``playground app --team``) every page needs sign-in and the navigation lists only what the
person's role allows: an annotator their queue, a researcher everything, the owner also Admin.
"""

import streamlit as st

from pages.widgets import through_app
from playground.settings import team_mode

st.set_page_config(
    page_title="Oversight playground",
    page_icon=":material/balance:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def research_pages(default: bool) -> list:
    return [
        st.Page("pages/debate.py", title="Debate", icon=":material/forum:", default=default),
        st.Page("pages/amplification.py", title="Amplification", icon=":material/account_tree:"),
        st.Page("pages/consistency.py", title="Consistency", icon=":material/rule:"),
        st.Page("pages/probes.py", title="Bias probes", icon=":material/balance:"),
        st.Page("pages/approval.py", title="Approval", icon=":material/thumbs_up_down:"),
        st.Page("pages/batch.py", title="Batch", icon=":material/playlist_play:"),
        st.Page("pages/prompts.py", title="Prompts", icon=":material/edit_note:"),
        st.Page("pages/fork.py", title="Fork", icon=":material/call_split:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/table_rows:"),
        st.Page("pages/analysis.py", title="Analysis", icon=":material/monitoring:"),
    ]


def team_pages():
    """The navigation of a team app: only what the signed-in person's role allows, or one
    hidden page (sign in, or why not) when nobody who may use it is signed in."""
    from pages.team import gate, sidebar
    from pages.widgets import get_store

    person = gate(get_store())
    if callable(person):
        return st.navigation(
            [st.Page(person, title="Sign in", url_path="signin")], position="hidden"
        )
    annotator = person.role == "annotator"
    queue = st.Page("pages/queue.py", title="Queue", icon=":material/inbox:", default=annotator)
    pages = [queue] if annotator else [*research_pages(default=True), queue]
    if person.role == "owner":
        pages.append(st.Page("pages/admin.py", title="Admin", icon=":material/group:"))
    sidebar(person)
    return st.navigation(pages, position="hidden" if annotator else "sidebar")


page = team_pages() if team_mode() else st.navigation(research_pages(default=True))
with through_app():
    page.run()
