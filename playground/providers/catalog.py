"""Every provider declared once: its model-string prefix, where its `Model` lives, and how its
endpoint is reached and authenticated (key variable, vendor host, base-URL variable).

This is pydantic-ai's split between a *model* (how to shape a request for one API family: the
`Model` classes in openai.py, anthropic.py, ...) and a *provider* (where that API is served and
with which key: a `Provider` here). Credentials, the key rules, the keys sidebar and the error
messages all read these declarations; nothing else lists key variables or hosts.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import admission

if TYPE_CHECKING:
    from .base import Model


@dataclass(frozen=True, kw_only=True)
class Provider:
    """One provider: ``<prefix>/<name>`` model strings are built by ``factory``."""

    prefix: str
    """The model-string prefix: ``openai`` in ``openai/gpt-4o-mini``."""
    label: str
    """What people call it: shown on the keys sidebar and in messages."""
    factory: str
    """``module:function`` building a `Model` for a name; imported only when one is asked for,
    so the core never imports a vendor SDK it does not need."""
    key_env: str | None = None
    """The environment variable holding the vendor's API key; None: no key is ever needed."""
    base_url_env: str | None = None
    """The environment variable naming the server to use instead of the vendor's (the SDKs'
    own convention); the vendor key may go there too, since the user paired the two."""
    vendor_host: str | None = None
    """The vendor's API host: its key goes there over https, and nowhere else unpaired."""
    default_base_url: str | None = None
    """Where its models are served when neither the role nor ``base_url_env`` says; None: the
    SDK's own default (the vendor's API)."""
    admit: Callable[[str], object] | None = None
    """Checks a model name before ``factory``'s module is imported (raises `ProviderError`)."""

    def env_key(self) -> str | None:
        """The vendor key from the environment, if set."""
        return (os.environ.get(self.key_env) or None) if self.key_env else None

    def env_base_url(self) -> str | None:
        """The server the ``base_url_env`` variable names, if set."""
        return (os.environ.get(self.base_url_env) or None) if self.base_url_env else None

    def is_vendor_api(self, base_url: str) -> bool:
        """Whether ``base_url`` is the vendor's own API: its host, over https, default port."""
        parts = urlsplit(base_url)
        try:
            port = parts.port
        except ValueError:
            return False
        return (
            self.vendor_host is not None
            and parts.scheme == "https"
            and parts.hostname == self.vendor_host
            and port in (None, 443)
        )

    def may_receive_vendor_key(self, base_url: str | None) -> bool:
        """Whether the vendor's key may be sent to ``base_url`` (None: the SDK's default, which
        is the vendor's API over https): the vendor's API, or the server the user paired with
        the key through ``base_url_env``."""
        if base_url is None:  # the SDK's default: the vendor's API, over https
            return self.default_base_url is None
        if self.is_vendor_api(base_url):
            return True
        paired = self.env_base_url()
        return paired is not None and paired.rstrip("/") == base_url.rstrip("/")

    def build(self, name: str, **options: Any) -> Model:
        """The `Model` for ``<prefix>/<name>``; ``admit`` runs first."""
        if self.admit is not None:
            self.admit(name)
        module_name, function = self.factory.split(":")
        factory: Callable[..., Model] = getattr(importlib.import_module(module_name), function)
        return factory(name, **options)


OPENAI = Provider(
    prefix="openai",
    label="OpenAI",
    factory="playground.providers.openai:create",
    key_env="OPENAI_API_KEY",
    base_url_env="OPENAI_BASE_URL",
    vendor_host="api.openai.com",
)
ANTHROPIC = Provider(
    prefix="anthropic",
    label="Anthropic",
    factory="playground.providers.anthropic:create",
    key_env="ANTHROPIC_API_KEY",
    base_url_env="ANTHROPIC_BASE_URL",
    vendor_host="api.anthropic.com",
)
LOCAL = Provider(
    prefix="local",
    label="Embedded local model",
    factory="playground.providers.local:create",
    admit=admission.check_local_name,
)
LANGCHAIN = Provider(
    prefix="langchain",
    label="LangChain chat model",
    factory="playground.providers.langchain:create",
    admit=admission.check_langchain_path,
)
SCRIPTED = Provider(
    prefix="scripted",
    label="Scripted (tests)",
    factory="playground.providers.scripted:create",
)

PROVIDERS: dict[str, Provider] = {
    p.prefix: p for p in (OPENAI, ANTHROPIC, LOCAL, LANGCHAIN, SCRIPTED)
}
"""Prefix → declaration. Adding a provider is one `Model` module plus one declaration here."""


def keyed_providers() -> list[Provider]:
    """The providers whose vendor API needs a key, in declaration order (the keys sidebar)."""
    return [p for p in PROVIDERS.values() if p.key_env]
