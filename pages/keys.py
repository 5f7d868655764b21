"""API key fields shared by the pages, one per provider that declares a key (`catalog`): typed
keys live in memory only, never in session state, the store or anything shown."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground.providers import keyed_providers
from playground.safetext import md_code


def secret_keys() -> dict[str, Any]:
    """API keys in ``.streamlit/secrets.toml``; a missing or unreadable file means none."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        names = {name for p in keyed_providers() for name in (p.prefix, p.key_env)}
        return {k: v for k, v in st.secrets.to_dict().items() if k in names and isinstance(v, str)}
    except Exception:
        return {}


def key_fields(secrets: dict[str, Any]) -> dict[str, str]:
    """Password fields for the API keys, each saying where a key was found; returns typed keys."""
    st.sidebar.subheader("API keys")
    st.sidebar.caption("Held in memory for this session only: never stored, logged or shown.")
    typed = {}
    for provider in keyed_providers():
        prefix, env = provider.prefix, provider.key_env
        typed[prefix] = st.sidebar.text_input(f"{provider.label} API key", type="password")
        if typed[prefix].strip():
            where = "Using the key entered here."
        elif secrets.get(prefix) or (env is not None and secrets.get(env)):
            where = "Found in `.streamlit/secrets.toml`."
        elif provider.env_key():
            where = f"Found in the environment ({md_code(env)})."
        else:
            where = f"Not set: needed only for {provider.label} models."
        st.sidebar.caption(where)
    return typed
