"""Team mode in the app: who is signed in (Streamlit's ``st.login``/``st.user`` over OpenID
Connect), what their role lets them see, and the person id pages record as ``created_by``.

Off (the single-user local tool) unless team mode is on (`playground.settings.team_mode`).
Every page of a team app is reached only through app.py's navigation, which lists the pages the
signed-in person's role allows; a page not listed cannot be opened by its URL either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import streamlit as st

from playground.safetext import md_line
from playground.settings import team_mode
from playground.store import Store
from playground.store.team import PersonRow
from playground.team import people
from playground.team.deploy import auth_problem, providers

_PERSON = "team_person"  # session key: the signed-in person's email, once recorded


def configured_auth() -> Mapping[str, Any] | None:
    """The ``[auth]`` table of the secrets Streamlit loaded, or None."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all: Streamlit raises rather than returning None
        return None
    return section if isinstance(section, Mapping) else None


def current_person() -> str | None:
    """The signed-in person's email in team mode (what runs record as ``created_by``), else
    None (the local app: nobody signs in)."""
    return st.session_state.get(_PERSON) if team_mode() else None


def sign_in_button(auth: Mapping[str, Any]) -> None:
    names = providers(auth)
    if st.button("Sign in", type="primary", icon=":material/login:"):
        st.login() if names[0] == "default" else st.login(names[0])


def gate(store: Store) -> PersonRow | Callable[[], None]:
    """The signed-in team member, or a page saying why there is none (no [auth], not signed in,
    not on the team), for app.py to show as the one page of a hidden navigation: nothing else
    of the app is reachable then, not even by URL."""
    auth = configured_auth()
    problem = auth_problem(auth)
    if problem or auth is None:
        return partial(_closed, f"Team mode: {problem}.")
    if not st.user.is_logged_in:
        st.session_state.pop(_PERSON, None)
        return partial(_sign_in_page, auth)
    email = str(st.user.get("email") or "")
    if not email or st.user.get("email_verified") is False:
        return partial(_refuse, "Your sign-in gave no verified email address, your id here.")
    if st.session_state.get(_PERSON) != email.lower():
        name = st.user.get("name")
        try:
            found = people.sign_in(store, email, str(name) if name else None)
        except people.TeamError as error:
            return partial(_refuse, md_line(str(error)))
        if found is None:
            return partial(
                _refuse, f"{md_line(email)} is not on this team. Ask its owner to invite you."
            )
        st.session_state[_PERSON] = found.email
    person = people.person(store, st.session_state[_PERSON])
    if person is None:  # removed since signing in
        st.session_state.pop(_PERSON, None)
        return partial(_refuse, f"{md_line(email)} is no longer on this team.")
    return person


def _closed(message: str) -> None:
    st.error(message, icon=":material/lock:")


def _sign_in_page(auth: Mapping[str, Any]) -> None:
    st.title("Oversight playground")
    st.write("This is a team's playground: sign in to continue.")
    sign_in_button(auth)


def _refuse(message: str) -> None:
    st.title("Oversight playground")
    st.warning(message, icon=":material/block:")
    if st.button("Sign out"):
        st.logout()


def sidebar(person: PersonRow) -> None:
    """Who is signed in, their role, and a sign-out button."""
    with st.sidebar:
        st.caption(f"Signed in as **{md_line(person.email)}** ({person.role})")
        if st.button("Sign out", icon=":material/logout:"):
            st.session_state.pop(_PERSON, None)
            st.logout()
