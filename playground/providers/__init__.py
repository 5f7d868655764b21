"""Model strings (``openai/gpt-4o-mini``, ``anthropic/claude-sonnet-4-5``, ``local/smollm2``,
``langchain:pkg.module.Class``) resolved to `Model` objects.

Each provider is declared once in `catalog` (prefix, factory, key variable, vendor host,
base-URL variable); its module is imported only when a model of its kind is asked for, so the
core never imports a vendor SDK it does not need.
"""

from __future__ import annotations

from typing import Any

from .base import Completion, GenerateConfig, Message, Model, ProviderError, Usage
from .catalog import PROVIDERS, Provider, keyed_providers
from .credentials import KEY_SHAPE, Credentials, key_variables, trusted_endpoint
from .retry import RetryPolicy, generate_with_retry

__all__ = [
    "KEY_SHAPE",
    "PROVIDERS",
    "Completion",
    "Credentials",
    "GenerateConfig",
    "Message",
    "Model",
    "Provider",
    "ProviderError",
    "RetryPolicy",
    "Usage",
    "generate_with_retry",
    "get_model",
    "key_variables",
    "keyed_providers",
    "split_model_string",
    "trusted_endpoint",
]


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
    when it is not given the provider's ``*_BASE_URL`` environment variable is used."""
    provider, name = split_model_string(model)
    declared = PROVIDERS[provider]
    if base_url is None:
        base_url = declared.env_base_url() or declared.default_base_url
    return declared.build(
        name, base_url=base_url, credentials=credentials or Credentials(), **options
    )
