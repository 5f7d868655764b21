"""pytest fixtures: a fresh loopback server per test, shut down afterwards.

Enabled by ``pytest_plugins = ["loopback.fixtures"]`` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .anthropic_server import AnthropicServer
from .openai_server import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """An OpenAI-compatible server; ``.base_url`` ends in ``/v1`` as the SDK expects."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    """An Anthropic-compatible server; ``.base_url`` is the bare origin, as the SDK expects."""
    with AnthropicServer() as server:
        yield server
