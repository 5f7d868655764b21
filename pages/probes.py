"""Bias probes page: pick a protocol that re-judges a logged run (`ProtocolInfo.page` =
"probe", from the registry), its options, a stored debate or consultancy run and the judge
seats; run it in the background and watch the protocol's own report tables fill in."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages.background import background_runs, start_background
from pages.keys import key_fields, secret_keys
from pages.protocol_form import option_widget, seat_settings, seats_of
from pages.widgets import get_store, require_app
from playground.analysis import load_frames
from playground.experiments import SETUP_ERRORS, parse_experiment
from playground.protocols import on_page, protocols
from playground.protocols.base import LOGGED
from playground.protocols.spec import form_fields
from playground.providers import Credentials
from playground.safetext import md_code, md_prose

require_app()

ARGUED = tuple(name for name, cls in protocols().items() if cls.info.argues)
"""Protocols whose logged transcripts a probe can re-present (`ProtocolInfo.argues`)."""


@st.fragment(run_every=1.0)
def live(run_id: str, protocol: str) -> None:
    job = background_runs().get(run_id)
    if job is not None:
        p = job.progress
        st.progress(p.fraction, text=f"{p.done} of {p.total} judgements · {job.status}")
        if job.error:
            st.error(md_prose(job.error))
    frames = load_frames(get_store(), [run_id], text=True, turns=False)
    for section in menu[protocol].sections:
        st.markdown(f"**{md_prose(section.title)}**")
        st.caption(md_prose(section.about))
        for name, table in section.tables(frames, 200).items():
            if table.empty:
                st.caption(md_prose(section.notes.get(name, "nothing yet")))
            else:
                st.dataframe(table, hide_index=True, width="stretch")


st.title("Bias probes")
st.caption(
    "Judge logged debates again with one factor changed (length, labels, confident framing, "
    "order) and see how much each moves the judge toward the side it favours, paired by "
    "transcript, with a bootstrap interval. Every judgement is a logged verdict (Runs, "
    "Analysis, export)."
)
typed_keys = key_fields(secrets := secret_keys())
menu = {cls.name: cls for cls in on_page("probe")}
name = st.selectbox(
    "Probe", list(menu), format_func=lambda p: menu[p].info.label, key="probe.protocol"
)
cls = menu[name]
st.caption(md_prose(cls.info.summary))
fields = cls.Options.model_fields
options: dict[str, Any] = {
    spec.option: option_widget(spec, name, fields[spec.option].default)
    for spec in form_fields(cls.info, cls.Options)
    if spec.option in fields
}
runs = [r for r in get_store().list_runs(200) if r.protocol in ARGUED]
source = None
if runs:
    source = st.selectbox(
        "Logged run", runs, format_func=lambda r: f"{r.id} · {r.name}", key="probe.run"
    )
else:
    st.info("No debate or consultancy runs in the log yet: run one on the Debate page.")

problem: str | None = None
roles: dict[str, Any] = {}
server_keys: dict[str, str] = {}
for seat, column in zip(seats := seats_of(name, options), st.columns(len(seats)), strict=True):
    with column.container(border=True):
        roles[seat], missing, keys = seat_settings(
            seat, key_prefix="probe.", defaults=(0.0, 24), human=False
        )
        problem, server_keys = problem or missing, server_keys | keys

if st.button("Run probes", type="primary", icon=":material/play_arrow:", key="probe.start"):
    if problem:
        st.error(md_prose(problem))
    elif source is None:
        st.error("choose a logged debate or consultancy run")
    else:
        experiment = {
            "name": f"{cls.info.label} · {source.name}",
            "protocol": name,
            "dataset": f"{LOGGED}{source.id}",
            "tags": ["page"],
            "concurrency": 2,
            "options": options,
            "roles": roles,
        }
        try:
            parsed = parse_experiment(experiment)
        except SETUP_ERRORS as exc:
            st.error(md_prose(str(exc)))
        else:
            credentials = Credentials.from_sources(server_keys, typed_keys, secrets)
            if (run_id := start_background(parsed, credentials)) is not None:
                st.session_state["probe.current"] = (run_id, name)

if current := st.session_state.get("probe.current"):
    st.subheader(f"Run {md_code(current[0])}")
    live(*current)
