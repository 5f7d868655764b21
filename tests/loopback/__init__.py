"""Loopback imitations of the OpenAI and Anthropic HTTP APIs, with fault injection, for tests and
benchmarks that must never leave 127.0.0.1.

Names are imported on first use, so ``python -m tests.loopback.openai_server`` runs its module
once (an eager import here would load it twice).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AnthropicServer": "anthropic_server",
    "OpenAIServer": "openai_server",
    "LoopbackServer": "server",
    "Fault": "shapes",
    "Recorded": "shapes",
    "Reply": "shapes",
    "default_responder": "shapes",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
