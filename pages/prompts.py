"""Prompts page: every prompt version per role; edit one with its variables checked live and a
preview on a dataset item, save it as a new version, diff two versions, export one to prompts/,
and A/B two versions of a role's prompt on the same items (see `pages/prompt_ab.py`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pages.prompt_ab import ab_section, pick
from pages.question import pick_question
from pages.widgets import get_store, require_app
from playground.prompting import (
    PromptVersion,
    check_messages,
    diff_templates,
    export_version,
    list_versions,
    save_version,
    side_by_side_html,
    unified_diff,
)
from playground.prompting.diff import is_same
from playground.prompting.preview import render_preview
from playground.prompts import PromptError, load_prompts
from playground.safetext import md_code, md_line, md_prose, md_text
from playground.store import Store

MESSAGE_ROLES = ("system", "user", "assistant")
ALL = "all roles"
DEFAULT_IDS = ("debate/judge", "debate/debater", "consultancy/consultant", "debate/selector")


def default_pin(versions: dict[str, PromptVersion], files: dict[str, str]) -> str | None:
    """What the pickers open first: the version saved last in this session, else a shipped
    protocol default of the shown role as it is in prompts/ now (the debate judge first)."""
    saved = st.session_state.get("prompts.saved")
    if saved in versions:
        return str(saved)
    for prompt_id in DEFAULT_IDS:
        for pin, v in versions.items():
            if v.id == prompt_id and files.get(v.id) == v.hash:
                return pin
    return None


def show_messages(messages: list[tuple[str, str]]) -> None:
    for role, content in messages:
        st.caption(md_line(role))
        st.code(content, language=None, wrap_lines=True)


# -- versions -----------------------------------------------------------------------------------


def versions_section(versions: dict[str, PromptVersion], files: dict[str, str]) -> None:
    rows = [
        {
            "Version": v.ref,
            "Role": v.role,
            "Source": v.source,
            "In prompts/": files.get(v.id) == v.hash,
            "Parent": (v.parent_hash or "")[:12],
            "Created": v.created_at,
            "Note": v.note or "",
        }
        for v in versions.values()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    pin = pick("Open version", versions, "prompts.open", default_pin(versions, files))
    v = versions[pin]
    used = ", ".join(md_code(f"{{{n}}}") for n in v.template.variables)
    st.markdown(f"Uses {used or 'no variables'}")
    if v.template.description:
        st.caption(md_text(v.template.description))
    show_messages(list(v.template.messages))
    st.caption("Pin this version in an experiment file:")
    st.code(f'prompt = "{v.pin}"', language="toml")
    left, right = st.columns([1, 3], vertical_alignment="center")
    overwrite = right.checkbox("Replace the file that holds this id now", key="prompts.overwrite")
    if left.button("Export to prompts/", icon=":material/save:", key="prompts.export"):
        try:
            path = export_version(v, overwrite=overwrite)
        except PromptError as exc:
            st.error(md_prose(str(exc)))
        else:
            st.success(
                f"Written to {md_code(path)}: loading it gives version {md_code(v.hash[:12])}."
            )


# -- editor ---------------------------------------------------------------------------------------


def variable_badges(check: Any) -> str:
    used = set(check.variables)
    parts = []
    for name in sorted(used | set(check.missing)):
        if name in check.unknown:
            parts.append(f":red-badge[{md_line(f'{{{name}}}')} unknown]")
        elif name in check.missing:
            parts.append(f":orange-badge[{md_line(f'{{{name}}}')} missing]")
        else:
            parts.append(f":green-badge[{md_line(f'{{{name}}}')}]")
    return " ".join(parts) or "no variables"


def preview(template: Any) -> None:
    with st.expander("Preview on a dataset item", expanded=False):
        picked = pick_question(st, "prompts.preview.", label="Item")
        if picked is not None:
            show_messages([(m.role, m.content) for m in render_preview(template, picked[1])])


def editor_section(store: Store, versions: dict[str, PromptVersion], files: dict[str, str]) -> None:
    pin = pick("Start from", versions, "prompts.base", default_pin(versions, files))
    base = versions[pin]
    key = f"prompts.edit.{base.hash[:12]}"
    prompt_id = st.text_input("Prompt id", value=base.id, key=f"{key}.id").strip()
    st.caption(f"Role {md_code(base.role or '—')} · parent version {md_code(base.ref)}")
    messages = []
    for n, (role, content) in enumerate(base.template.messages):
        with st.container(border=True):
            kind = st.selectbox(
                f"Message {n + 1}", MESSAGE_ROLES, MESSAGE_ROLES.index(role), key=f"{key}.{n}.role"
            )
            height = min(600, 60 + 24 * (content.count("\n") + 1))  # the whole message shows
            text = st.text_area("Content", content, height=height, key=f"{key}.{n}.content")
            messages.append((kind, text))
    template, check = check_messages(
        prompt_id,
        base.role,
        messages,
        description=base.template.description,
        parent_id=base.id,
    )
    st.markdown("Variables: " + variable_badges(check))
    if check.reference:
        st.caption(
            f"Checked against {md_code(check.reference)}: what the protocol passes to this role."
        )
    for problem in check.problems():
        st.error(md_prose(problem))
    if template is not None:
        preview(template)
    unchanged = template is not None and (template.id, template.hash) == (base.id, base.hash)
    note = st.text_input("Note", placeholder="What changed and why", key=f"{key}.note")
    clicked = st.button(
        "Save as a new version",
        type="primary",
        icon=":material/add:",
        disabled=template is None or not check.ok or unchanged,
        key="prompts.save",
    )
    if unchanged:
        st.caption("Edit the wording to save a new version.")
    if clicked and template is not None:
        try:
            version, new = save_version(store, template, note=note, parent=base.hash, source="page")
        except PromptError as exc:
            st.error(md_prose(str(exc)))
            return
        st.session_state["prompts.saved"] = version.pin
        st.session_state["prompts.pending"] = (version.pin, pin)
        st.session_state["prompts.flash"] = (
            f"Saved version {md_code(version.ref)} (parent {md_code(base.ref)})."
            if new
            else f"This wording is already version {md_code(version.ref)}: nothing new was saved."
        )
        st.rerun()


# -- diff -----------------------------------------------------------------------------------------


def diff_section(versions: dict[str, PromptVersion], files: dict[str, str]) -> None:
    saved = versions.get(st.session_state.get("prompts.saved", ""))
    parent = next((p for p, v in versions.items() if saved and v.hash == saved.parent_hash), None)
    left, right = st.columns(2)
    with left:
        old = pick(
            "Old version", versions, "prompts.diff.old", parent or default_pin(versions, files)
        )
    with right:
        new = pick("New version", versions, "prompts.diff.new", saved.pin if saved else None)
    a, b = versions[old].template, versions[new].template
    rows = diff_templates(a, b)
    if is_same(rows):
        st.info("Same wording: these versions have the same messages.")
        return
    changed = sum(1 for r in rows if r.tag != "equal")
    st.caption(f"{changed} line{'s' if changed != 1 else ''} changed")
    st.html(side_by_side_html(rows, versions[old].ref, versions[new].ref))
    with st.expander("Unified diff"):
        st.code(unified_diff(a, b), language="diff")


# -- page -----------------------------------------------------------------------------------------

require_app()
st.title("Prompts")
st.caption(
    "Every prompt template in prompts/ and every version saved here. A version is immutable and "
    "named by the hash of its messages: the same hash every logged turn records, so each verdict "
    "is tied to the exact wording that produced it."
)
store = get_store()
if pending := st.session_state.pop("prompts.pending", None):
    # a version was just saved: open it everywhere (widget keys may be set before they are drawn)
    saved_pin, parent_pin = pending
    for widget in ("prompts.base", "prompts.open", "prompts.diff.new", "prompts.ab.b"):
        st.session_state[widget] = saved_pin
    st.session_state["prompts.diff.old"] = st.session_state["prompts.ab.a"] = parent_pin
if flash := st.session_state.pop("prompts.flash", None):
    st.success(flash)
all_versions = list_versions(store)
files = {t.id: t.hash for t in load_prompts().values()}
roles = sorted({v.role for v in all_versions if v.role})
role = st.selectbox(
    "Role",
    [ALL, *roles],
    index=1 + roles.index("judge") if "judge" in roles else 0,
    key="prompts.role",
)
shown = {v.pin: v for v in reversed(all_versions) if role == ALL or v.role == role}
if not shown:
    st.info("No versions for this role yet.")
    st.stop()

versions_tab, edit_tab, diff_tab, ab_tab = st.tabs(["Versions", "Edit", "Diff", "A/B run"])
with versions_tab:
    versions_section(shown, files)
with edit_tab:
    editor_section(store, shown, files)
with diff_tab:
    diff_section(shown, files)
with ab_tab:
    ab_section(store, {v.pin: v for v in reversed(all_versions)})
