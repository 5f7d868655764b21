"""Streamlit entry point of the oversight playground: page setup and navigation.

Started by ``playground app`` (``streamlit run app.py``); each page is a short script that
reads its widgets, calls the `playground` library and renders what it returns.
"""

import streamlit as st

from pages.widgets import through_app

st.set_page_config(
    page_title="Oversight playground",
    page_icon=":material/balance:",
    layout="wide",
    initial_sidebar_state="expanded",
)
page = st.navigation(
    [
        st.Page("pages/debate.py", title="Debate", icon=":material/forum:", default=True),
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
)
with through_app():
    page.run()
