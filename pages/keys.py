"""API key fields shared by the pages: typed keys live in memory only, never in session state,
the store or anything shown."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from playground.providers import ENV_KEYS as KEY_VARS


def secret_keys() -> dict[str, Any]:
    """API keys in ``.streamlit/secrets.toml``; a missing or unreadable file means none."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        names = {*KEY_VARS, *KEY_VARS.values()}
        return {k: v for k, v in st.secrets.to_dict().items() if k in names and isinstance(v, str)}
    except Exception:
        return {}


def key_fields(secrets: dict[str, Any]) -> dict[str, str]:
    """Password fields for the API keys, each saying where a key was found; returns typed keys."""
    st.sidebar.subheader("API keys")
    st.sidebar.caption("Held in memory for this session only: never stored, logged or shown.")
    typed = {}
    for provider, label in (("openai", "OpenAI"), ("anthropic", "Anthropic")):
        typed[provider] = st.sidebar.text_input(f"{label} API key", type="password")
        env = KEY_VARS[provider]
        if typed[provider].strip():
            where = "Using the key entered here."
        elif secrets.get(provider) or secrets.get(env):
            where = "Found in `.streamlit/secrets.toml`."
        elif os.environ.get(env):
            where = f"Found in the environment (`{env}`)."
        else:
            where = f"Not set: needed only for {label} models."
        st.sidebar.caption(where)
    return typed
