"""The Debate page's settings form: which protocol, its options, and who sits in each seat (a
model from any provider, or a person typing in the page). Returns plain mappings in the shape
of an experiment file's ``[options]`` and ``[roles.<seat>]`` tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import BaseModel

from pages.widgets import role_style
from playground.protocols import get_protocol
from playground.providers.human import HUMAN
from playground.safetext import md_code


@dataclass(frozen=True)
class ProtocolInfo:
    label: str
    summary: str


PROTOCOLS = {
    "debate": ProtocolInfo(
        "Debate",
        "Two debaters argue for opposite answers; a judge who has not read the passage picks "
        "one and gives a credence.",
    ),
    "open_debate": ProtocolInfo(
        "Open debate",
        "Debater A first chooses the answer it will argue for; debater B defends the other.",
    ),
    "consultancy": ProtocolInfo(
        "Consultancy",
        "One consultant argues for an assigned answer, once for the true answer and once for "
        "the wrong one; the judge, who has not read the passage, may question it.",
    ),
    "open_consultancy": ProtocolInfo(
        "Open consultancy",
        "The consultant chooses which answer to argue for; the judge may question it.",
    ),
    "blind": ProtocolInfo(
        "Blind baseline",
        "The judge answers from the question and the answers alone, with no argument: the "
        "baseline every other protocol is compared with.",
    ),
}
PANEL = ("judge", "judge_b", "judge_c", "judge_d")
"""Seats of a judge panel, in the order they are added."""
QUOTE_MODES: dict[str, str] = {
    "off": "Off",
    "strict": "Strict (exact words)",
    "fuzzy": "Fuzzy (small slips pass)",
}


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
    """The protocol and its ``[options]``, drawn in the current container. Widgets for options
    the protocol lacks are not drawn (and their values not sent)."""
    name = st.selectbox(
        "Protocol",
        list(PROTOCOLS),
        format_func=lambda p: PROTOCOLS[p].label,
        key="protocol",
    )
    st.caption(PROTOCOLS[name].summary)
    fields = get_protocol(name).Options.model_fields
    options: dict[str, Any] = {}
    if "rounds" in fields:
        speaks = "Each debater speaks" if "turn_order" in fields else "The consultant speaks"
        options["rounds"] = int(
            st.number_input("Rounds", 1, 10, 3, help=f"{speaks} once per round.", key="rounds")
        )
    if "turn_order" in fields:
        options["turn_order"] = st.radio(
            "Turn order",
            ["simultaneous", "sequential"],
            horizontal=True,
            key="turn_order",
            help="Simultaneous: neither debater sees the other's speech of the same round. "
            "Sequential: debater A speaks first and B sees it.",
        )
    if "interactive_judge" in fields:
        options["interactive_judge"] = st.checkbox(
            "Interactive judge",
            value=bool(fields["interactive_judge"].default),
            key=f"{name}.interactive_judge",
            help="After each round but the last, the (first) judge asks a question the "
            "arguers see.",
        )
    if "judge_each_round" in fields:
        options["judge_each_round"] = st.checkbox(
            "Judge after every round",
            key="judge_each_round",
            help="Each judge also gives a choice and credence after every round, drawn as a "
            "credence curve (not counted as a verdict).",
        )
    if "quotes" in fields:
        options["quotes"] = st.selectbox(
            "Quote verification",
            list(QUOTE_MODES),
            format_func=lambda mode: QUOTE_MODES[mode],
            key="quotes",
            help="Check each <quote>…</quote> an arguer cites against the passage and show "
            "the judge which ones were found.",
        )
    judges = st.number_input(
        "Judges",
        1,
        len(PANEL),
        1,
        key="judges",
        help="A judge panel: each judge has its own seat and model and gives its own verdict "
        "on the same transcript.",
    )
    options["judges"] = list(PANEL[: int(judges)])
    options["swap_positions"] = st.checkbox(
        "Also run with positions swapped",
        help="Runs a second transcript with the answers shown in the other order (and defended "
        "from the other seat), to measure the judge's position bias.",
        key="swap",
    )
    return name, options


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
    model = f"{choice.prefix}/{name.strip()}"
    st.caption(f"Model string {md_code(model)}")
    config |= {"model": model, "max_tokens": int(max_tokens)}
    keys = {base_url: server_key} if base_url and server_key else {}
    return config | ({"base_url": base_url} if base_url else {}), problem, keys


def expected_calls(protocol: str, options: dict[str, Any]) -> int:
    """About how many calls (and a person's turns) a run makes, for the progress label."""
    judges = len(options.get("judges", ["judge"]))
    transcripts = 2 if options.get("swap_positions") else 1
    if protocol == "blind":
        return transcripts * judges
    rounds = int(options.get("rounds", 1))
    between = (rounds - 1) * (
        judges * bool(options.get("judge_each_round")) + bool(options.get("interactive_judge"))
    )
    speeches = rounds * (2 if "debate" in protocol else 1)
    per = speeches + between + judges + protocol.startswith("open_")
    if protocol == "consultancy":
        transcripts *= 2  # the consultant on the true answer and on the wrong one
    return transcripts * per
