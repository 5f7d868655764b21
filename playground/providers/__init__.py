"""Model strings (``openai/gpt-4o-mini``, ``anthropic/claude-sonnet-4-5``, ``local/smollm2``,
``langchain:pkg.module.Class``) resolved to `Model` objects.

Each provider module is imported only when a model of its kind is asked for, so the core never
imports a vendor SDK it does not need. Adding a provider is one module plus one line in
``PROVIDERS``.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .base import Completion, GenerateConfig, Message, Model, ProviderError, Usage
from .retry import RetryPolicy, generate_with_retry

__all__ = [
    "PROVIDERS",
    "Completion",
    "Credentials",
    "GenerateConfig",
    "Message",
    "Model",
    "ProviderError",
    "RetryPolicy",
    "Usage",
    "generate_with_retry",
    "get_model",
    "split_model_string",
]


class ModelFactory(Protocol):
    def __call__(
        self, name: str, *, base_url: str | None, credentials: Credentials, **options: Any
    ) -> Model: ...


PROVIDERS: dict[str, str] = {
    "openai": "playground.providers.openai:create",
    "anthropic": "playground.providers.anthropic:create",
    "local": "playground.providers.local:create",
    "langchain": "playground.providers.langchain:create",
    "scripted": "playground.providers.scripted:create",
}
"""Provider prefix → ``module:factory`` that builds a `Model` for a name under that prefix."""

ENV_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
_KEY_SHAPE = re.compile(r"\b(sk|key|token)-[A-Za-z0-9_\-*]{8,}")
ENV_BASE_URLS = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


@dataclass(frozen=True)
class Credentials:
    """API keys by provider prefix. Held in memory only: never logged, stored or exported.

    Precedence, highest first: a key given explicitly (the page's password field), Streamlit
    secrets, then the standard environment variables.
    """

    api_keys: Mapping[str, str] = field(default_factory=dict, repr=False)

    def key_for(self, provider: str, base_url: str | None = None) -> str | None:
        """The key to send to ``base_url`` (the vendor's API when None).

        A vendor's key (``OPENAI_API_KEY`` …, from any source) goes only to the vendor's own API
        or to the server its standard ``*_BASE_URL`` variable names: pointing one seat at some
        other OpenAI-compatible server must not hand that server your OpenAI key. Other
        servers get a key only when one was given for that base URL itself.
        """
        if base_url:
            own = self.api_keys.get(base_url.rstrip("/"))
            if own:
                return own
            if not trusted_endpoint(provider, base_url):
                return None
        key = self.api_keys.get(provider)
        if key:
            return key
        env = ENV_KEYS.get(provider)
        return os.environ.get(env) if env else None

    def redact(self, text: str) -> str:
        """Remove every known key, and anything shaped like one, from text bound for a log."""
        for key in [*self.api_keys.values(), *(os.environ.get(v, "") for v in ENV_KEYS.values())]:
            if len(key) >= 8:
                text = text.replace(key, "[redacted]")
        return _KEY_SHAPE.sub("[redacted]", text)

    @classmethod
    def from_sources(cls, *sources: Mapping[str, Any] | None) -> Credentials:
        """Merge key sources, earlier ones winning. Each maps a provider prefix, an env-var
        name (``OPENAI_API_KEY``) or a server's base URL to a key; empty values are ignored."""
        merged: dict[str, str] = {}
        by_env = {v: k for k, v in ENV_KEYS.items()}
        for source in sources:
            for name, value in (source or {}).items():
                provider = by_env.get(name, name).rstrip("/")  # a base URL keys its own server
                if isinstance(value, str) and value.strip() and provider not in merged:
                    merged[provider] = value.strip()
        return cls(merged)


VENDOR_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}


def trusted_endpoint(provider: str, base_url: str) -> bool:
    """Whether a vendor's key may be sent to ``base_url``: its own API host, or the URL its
    standard ``*_BASE_URL`` environment variable names."""
    from urllib.parse import urlsplit

    if urlsplit(base_url).hostname == VENDOR_HOSTS.get(provider):
        return True
    paired = os.environ.get(ENV_BASE_URLS.get(provider, ""), "")
    return bool(paired) and paired.rstrip("/") == base_url.rstrip("/")


def split_model_string(model: str) -> tuple[str, str]:
    """``openai/gpt-4o`` → (``openai``, ``gpt-4o``); ``langchain:a.b.C`` → (``langchain``, ``a.b.C``)."""
    model = model.strip()
    if model == "human":
        raise ProviderError(
            "model 'human' is a person's seat: it is answered through a HumanDesk, so pass "
            "models={role: HumanModel(desk)} (playground.providers.human), as the page does"
        )
    if model.startswith("langchain:"):
        provider, name = "langchain", model.removeprefix("langchain:")
    elif "/" in model:
        provider, name = model.split("/", 1)
    else:
        raise ProviderError(
            f"model {model!r} has no provider prefix: write e.g. openai/gpt-4o-mini, "
            f"anthropic/claude-sonnet-4-5, local/smollm2 or langchain:package.module.Class"
        )
    if provider not in PROVIDERS:
        raise ProviderError(
            f"model {model!r}: unknown provider {provider!r} (known: {', '.join(PROVIDERS)})"
        )
    if not name:
        raise ProviderError(f"model {model!r}: missing model name after {provider!r}")
    return provider, name


def get_model(
    model: str,
    *,
    base_url: str | None = None,
    credentials: Credentials | None = None,
    **options: Any,
) -> Model:
    """Build the `Model` for a model string. ``base_url`` points ``openai/…`` at any
    OpenAI-compatible server (Ollama, vLLM, llama.cpp server) and ``anthropic/…`` at a proxy;
    when it is not given the standard ``*_BASE_URL`` environment variable is used."""
    provider, name = split_model_string(model)
    module_name, factory_name = PROVIDERS[provider].split(":")
    factory: ModelFactory = getattr(importlib.import_module(module_name), factory_name)
    if base_url is None and provider in ENV_BASE_URLS:
        base_url = os.environ.get(ENV_BASE_URLS[provider]) or None
    return factory(name, base_url=base_url, credentials=credentials or Credentials(), **options)
