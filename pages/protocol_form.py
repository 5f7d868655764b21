"""The Debate page's settings form: which protocol, its options, and who sits in each seat (a
model from any provider, or a person typing in the page). Returns plain mappings in the shape
of an experiment file's ``[options]`` and ``[roles.<seat>]`` tables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import BaseModel

from pages.widgets import role_style
from playground.protocols import get_protocol, on_page
from playground.protocols.spec import PANEL, FormField, ProtocolInfo, form_fields
from playground.providers.human import HUMAN
from playground.safetext import md_code


class _Menu(Mapping[str, ProtocolInfo]):
    """The Debate page's menu read from the registry at each use: name → `ProtocolInfo`."""

    def __getitem__(self, name: str) -> ProtocolInfo:
        return {cls.name: cls.info for cls in on_page("debate")}[name]

    def __iter__(self) -> Iterator[str]:
        return iter([cls.name for cls in on_page("debate")])

    def __len__(self) -> int:
        return len(on_page("debate"))


PROTOCOLS: Mapping[str, ProtocolInfo] = _Menu()
"""The protocols of the Debate page's menu (`ProtocolInfo.page` = "debate"), in menu order."""


@dataclass(frozen=True)
class ProviderChoice:
    label: str
    prefix: str
    model: str
    base_url: str | None  # default of the base URL field; None: no field


PROVIDERS = {
    "local": ProviderChoice("Embedded local model", "local", "smollm2", None),
    "openai": ProviderChoice("OpenAI", "openai", "gpt-4o-mini", None),
    "anthropic": ProviderChoice("Anthropic", "anthropic", "claude-sonnet-4-5", ""),
    "compat": ProviderChoice(
        "OpenAI-compatible server", "openai", "llama3.2", "http://localhost:11434/v1"
    ),
    HUMAN: ProviderChoice("A person (you)", HUMAN, "", None),
}
# sized for the embedded 135M model: short speeches, and a judge that only needs two lines
ARGUER_DEFAULTS, JUDGE_DEFAULTS = (0.7, 96), (0.0, 32)


def protocol_settings() -> tuple[str, dict[str, Any]]:
    """The protocol and its ``[options]``, drawn in the current container: the fields the
    protocol's `ProtocolInfo.form` names (or one per option), nothing else."""
    menu = {cls.name: cls for cls in on_page("debate")}
    name = st.selectbox(
        "Protocol",
        list(menu),
        format_func=lambda p: menu[p].info.label,
        key="protocol",
    )
    cls = menu[name]
    st.caption(cls.info.summary)
    fields = cls.Options.model_fields
    options: dict[str, Any] = {}
    for spec in form_fields(cls.info, cls.Options):
        if spec.option in fields:
            options[spec.option] = option_widget(spec, name, fields[spec.option].default)
    return name, options


def option_widget(spec: FormField, protocol: str, default: Any) -> Any:
    """One option's widget, drawn as its `FormField` says; returns its value for the option."""
    key = spec.widget_key(protocol)
    if spec.widget == "number":
        low = spec.low if spec.low is not None else 0
        high = spec.high if spec.high is not None else max(int(default or 0) * 10, 100)
        return int(st.number_input(spec.label, low, high, int(default), help=spec.help, key=key))
    if spec.widget == "panel":
        judges = st.number_input(spec.label, 1, len(PANEL), 1, key=key, help=spec.help)
        return list(PANEL[: int(judges)])
    if spec.widget == "checkbox":
        return st.checkbox(spec.label, value=bool(default), key=key, help=spec.help)
    choices = spec.choices or {}
    values = list(choices)
    if spec.widget == "radio":
        return st.radio(
            spec.label, values, horizontal=True, key=key, help=spec.help,
            format_func=choices.__getitem__, index=values.index(default),
        )  # fmt: skip
    return st.selectbox(
        spec.label, values, format_func=choices.__getitem__, key=key, help=spec.help,
        index=values.index(default),
    )  # fmt: skip


def seats_of(protocol: str, options: dict[str, Any]) -> tuple[str, ...]:
    """The seats a run of ``protocol`` with these options needs (the library decides)."""
    cls = get_protocol(protocol)
    validated: BaseModel = cls.Options.model_validate(options)
    return cls.seats(validated)


def seat_settings(
    role: str,
    *,
    key_prefix: str = "",
    defaults: tuple[float, int] | None = None,
    human: bool = True,
) -> tuple[dict[str, Any], str | None, dict[str, str]]:
    """One seat's provider, model, base URL and parameters as a `RoleConfig` mapping, what is
    missing, if anything (every widget is still drawn, so none loses its value), and a key
    typed for this seat's own server ({base URL: key}: held in memory only). A person's seat
    is ``{"model": "human"}``: no parameters, nothing to reach. Pages other than Debate give
    their own widget ``key_prefix``, default (temperature, max tokens), and may leave out the
    person (``human=False``)."""
    style = role_style(role)
    st.markdown(f"##### :{style.color}[{style.name}]")
    if role in PANEL[1:]:
        st.caption(f"Seat {md_code(role)} of the panel: its own model, its own verdict.")
    k = f"{key_prefix}{role}"
    kinds = [kind for kind in PROVIDERS if human or kind != HUMAN]
    kind = st.selectbox(
        "Provider", kinds, format_func=lambda k: PROVIDERS[k].label, key=f"{k}.provider"
    )
    if kind == HUMAN:
        what = "judge the transcript" if role.startswith("judge") else "type this seat's turns"
        st.caption(
            f"You {what} here in the page when the seat's turn comes; you see exactly what a "
            "model in this seat would see. Recorded with model `human`."
        )
        return {"model": HUMAN}, None, {}
    choice = PROVIDERS[kind]
    name = st.text_input("Model", value=choice.model, key=f"{k}.{kind}.model")
    base_url, problem = None, None
    if choice.base_url is not None:
        optional = " (optional)" if kind == "anthropic" else ""
        base_url = st.text_input(
            f"Base URL{optional}", value=choice.base_url, key=f"{k}.{kind}.base_url"
        ).strip()
        if kind == "compat" and not base_url:
            problem = f"{style.name}: an OpenAI-compatible server needs a base URL"
    server_key = ""
    if base_url:
        # no widget key: a keyed widget's value would sit in session_state
        server_key = st.text_input(
            f"Key for {style.name}'s server (optional)",
            type="password",
            help="Sent only to this base URL. Your OpenAI/Anthropic key is never sent to "
            "another server.",
        )
    temperature, max_tokens = defaults or (
        JUDGE_DEFAULTS if role.startswith("judge") else ARGUER_DEFAULTS
    )
    left, right = st.columns(2)
    config: dict[str, Any] = {}
    if kind == "anthropic":
        left.caption("The Anthropic API takes no temperature.")
    else:
        config["temperature"] = left.number_input(
            "Temperature", 0.0, 2.0, temperature, step=0.1, format="%.1f", key=f"{k}.temperature"
        )
    max_tokens = right.number_input(
        "Max tokens", 1, 8192, max_tokens, step=16, key=f"{k}.max_tokens"
    )
    if role.startswith("judge"):  # `votes`: a majority of N seeded samples per verdict
        votes = st.number_input(
            "Votes", 1, 15, 1, key=f"{k}.votes",
            help="Sample the verdict N times (seeds 0…N−1) and take the majority; its credence "
            "is the vote share. Set a temperature above 0, or the samples agree by construction.",
        )  # fmt: skip
        config |= {"votes": int(votes)} if votes > 1 else {}
    model = f"{choice.prefix}/{name.strip()}"
    st.caption(f"Model string {md_code(model)}")
    config |= {"model": model, "max_tokens": int(max_tokens)}
    keys = {base_url: server_key} if base_url and server_key else {}
    return config | ({"base_url": base_url} if base_url else {}), problem, keys


def expected_calls(protocol: str, options: dict[str, Any]) -> int:
    """About how many calls (and a person's turns) a run of one item makes, for the progress
    label: as the protocol reckons it."""
    cls = get_protocol(protocol)
    return cls.expected_calls(cls.Options.model_validate(options))
