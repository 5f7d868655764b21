"""Admin page (team mode, the owner only): invite people, change their role, remove them, and
read the audit trail. Emails and names are shown through `playground.safetext`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.team import current_person
from pages.widgets import get_store, require_app
from playground.safetext import csv_cell, md_line
from playground.team import audit, people

require_app()
store = get_store()
me = current_person()
mine = people.person(store, me) if me else None
if mine is None or mine.role != "owner":
    st.error("Only the team's owner may open the Admin page.")
    st.stop()

st.title("Team")
st.caption(
    "People are their email addresses as the sign-in provider reports them. Researchers see "
    "everything; annotators see only their queue and their own progress."
)

with st.form("invite", clear_on_submit=True):
    st.subheader("Invite")
    left, right = st.columns([3, 1])
    email = left.text_input("Email", key="invite_email")
    role = right.selectbox("Role", people.INVITABLE, key="invite_role")
    if st.form_submit_button("Invite", type="primary"):
        try:
            added = people.invite(store, email, role, by=mine.email)
            st.success(f"Invited {md_line(added.email)} as {added.role}.")
        except people.TeamError as error:
            st.error(md_line(str(error)))

st.subheader("People")
everyone = people.everyone(store)
for person in everyone:
    cols = st.columns([4, 2, 2, 1])
    cols[0].markdown(md_line(person.email) + (f" · {md_line(person.name)}" if person.name else ""))
    signed = person.last_sign_in.strftime("%Y-%m-%d %H:%M UTC") if person.last_sign_in else "never"
    cols[2].caption(f"last sign-in: {signed}")
    if person.role == "owner":
        cols[1].markdown("**owner**")
        continue
    choice = cols[1].selectbox(
        "Role",
        people.INVITABLE,
        index=people.INVITABLE.index(person.role),  # type: ignore[arg-type]
        key=f"role_{person.email}",
        label_visibility="collapsed",
    )
    if choice != person.role:
        try:
            people.set_role(store, person.email, choice, by=mine.email)
            st.rerun()
        except people.TeamError as error:
            st.error(md_line(str(error)))
    if cols[3].button("Remove", key=f"remove_{person.email}"):
        try:
            people.remove(store, person.email, by=mine.email)
            st.rerun()
        except people.TeamError as error:
            st.error(md_line(str(error)))

st.subheader("Audit trail")
events = audit.events(store, limit=500)
if events:
    frame = pd.DataFrame(
        [
            {
                "when": e.at.strftime("%Y-%m-%d %H:%M:%S"),
                "who": csv_cell(e.actor),
                "action": csv_cell(e.action),
                "target": csv_cell(e.target),
                "detail": csv_cell(", ".join(f"{k}={v}" for k, v in e.detail.items())),
            }
            for e in reversed(events)
        ]
    )
    st.dataframe(frame, hide_index=True, use_container_width=True)
else:
    st.caption("Nothing recorded yet.")
