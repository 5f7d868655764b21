"""API keys held in memory, which key may go to which server, and scrubbing keys from text.

The rules read the provider declarations (`catalog`): a vendor's key goes only to its own API
over https or to the server the user paired with it through the vendor's ``*_BASE_URL``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import PROVIDERS

KEY_SHAPE = re.compile(r"\b(sk|key|token)-[A-Za-z0-9_\-*]{8,}")
"""Anything shaped like an API key is scrubbed from logged text even when it is not known."""

MIN_SECRET = 8
"""Shorter values are not scrubbed by value: they would blank out ordinary words."""

_named_key_vars: set[str] = set()
_named_lock = threading.Lock()


def note_key_variable(name: str) -> None:
    """Remember that environment variable ``name`` holds a key (a role's ``api_key_env``), so
    its value is scrubbed from errors and logs like the vendors' own key variables."""
    with _named_lock:
        _named_key_vars.add(name)


def key_variables() -> list[str]:
    """Every environment variable known to hold a key: the providers' declared ones and those
    named by ``api_key_env`` in this process."""
    declared = [p.key_env for p in PROVIDERS.values() if p.key_env]
    with _named_lock:
        return [*declared, *sorted(_named_key_vars - set(declared))]


@dataclass(frozen=True)
class Credentials:
    """API keys by provider prefix (or by a server's base URL). Held in memory only: never
    logged, stored or exported.

    Precedence, highest first: a key given explicitly (the page's password field), Streamlit
    secrets, then the standard environment variables.
    """

    api_keys: Mapping[str, str] = field(default_factory=dict, repr=False)

    def key_for(self, provider: str, base_url: str | None = None) -> str | None:
        """The key to send to ``base_url`` (the vendor's API when None).

        A vendor's key (``OPENAI_API_KEY`` …, from any source) goes only to the vendor's own API
        over https or to the server its standard ``*_BASE_URL`` variable names: pointing one
        seat at some other OpenAI-compatible server must not hand that server your OpenAI key.
        Other servers get a key only when one was given for that base URL itself.
        """
        if base_url:
            own = self.api_keys.get(base_url.rstrip("/"))
            if own:
                return own
        declared = PROVIDERS.get(provider)
        if declared is None or not declared.may_receive_vendor_key(base_url):
            return None
        return self.api_keys.get(provider) or declared.env_key()

    def secret_values(self) -> list[str]:
        """Every key value this process knows of (given, in secrets, in key variables), long
        enough to be scrubbed by value: what must never reach a store, log or export."""
        values = [*self.api_keys.values(), *(os.environ.get(v, "") for v in key_variables())]
        return sorted({v for v in values if len(v) >= MIN_SECRET}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Remove every known key, and anything shaped like one, from text bound for a log."""
        for key in self.secret_values():
            text = text.replace(key, "[redacted]")
        return KEY_SHAPE.sub("[redacted]", text)

    @classmethod
    def from_sources(cls, *sources: Mapping[str, Any] | None) -> Credentials:
        """Merge key sources, earlier ones winning. Each maps a provider prefix, a key variable
        (``OPENAI_API_KEY``) or a server's base URL to a key; empty values are ignored."""
        merged: dict[str, str] = {}
        by_env = {p.key_env: p.prefix for p in PROVIDERS.values() if p.key_env}
        for source in sources:
            for name, value in (source or {}).items():
                provider = by_env.get(name, name).rstrip("/")  # a base URL keys its own server
                if isinstance(value, str) and value.strip() and provider not in merged:
                    merged[provider] = value.strip()
        return cls(merged)


def trusted_endpoint(provider: str, base_url: str) -> bool:
    """Whether a vendor's key may be sent to ``base_url``: its own API host over https, or the
    URL its standard ``*_BASE_URL`` environment variable names."""
    declared = PROVIDERS.get(provider)
    return declared is not None and declared.may_receive_vendor_key(base_url)
