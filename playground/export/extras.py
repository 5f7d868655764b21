"""Optional dependencies the exports need, checked before their heavy import so a missing one is
a one-line error saying what to install, not a traceback."""

from __future__ import annotations

import importlib.util

INSPECT_EXTRA = "pip install 'oversight-playground[inspect]'"


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message is one line naming the install."""


def is_missing(package: str, error: ModuleNotFoundError) -> bool:
    """Whether ``error`` says ``package`` itself is absent (not a module it failed to import)."""
    return (error.name or "").split(".")[0] == package


def missing_inspect(what: str) -> MissingExtra:
    """The error for ``what`` needing inspect_ai when it is not installed."""
    return MissingExtra(
        f"{what} needs inspect_ai, which is not installed: {INSPECT_EXTRA} "
        "(or pip install inspect_ai)"
    )


def inspect_installed() -> bool:
    """Whether inspect_ai can be imported, found without importing it (it is heavy)."""
    return importlib.util.find_spec("inspect_ai") is not None
