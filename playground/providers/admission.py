"""What a model string may load on this machine: ``langchain:`` classes only from allowed modules
and only if they are chat models, ``local/<path>.gguf`` only from allowed directories, neither
in safe mode. Checked before anything is imported or called.

The allowlists are the user's local settings (`playground.settings`), never an experiment file.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from ..settings import (
    LANGCHAIN_MODULES_ENV,
    MODEL_DIRS_ENV,
    SAFE_ENV,
    LocalSettings,
    SettingsError,
    load_settings,
    settings_path,
)
from .base import ProviderError

INTEGRATION_PACKAGE = re.compile(r"langchain_[a-z0-9_]+")
"""Top-level packages allowed without a setting: LangChain's integration packages
(``langchain_openai``, ``langchain_anthropic``, ``langchain_ollama``, ``langchain_core``, ...)."""

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _settings(model: str) -> LocalSettings:
    try:
        return load_settings()
    except SettingsError as error:
        raise ProviderError(f"{model}: {error}") from None


def _refuse_in_safe_mode(model: str, settings: LocalSettings, what: str) -> None:
    if settings.safe:
        raise ProviderError(
            f"{model}: safe mode is on ({SAFE_ENV}=1 or safe = true in {settings_path()}): "
            f"{what} are refused; use openai/, anthropic/ or local/smollm2"
        )


def module_allowed(module: str, settings: LocalSettings) -> bool:
    """Whether ``module`` is in a ``langchain_*`` package or under a module the user allowed."""
    if INTEGRATION_PACKAGE.fullmatch(module.split(".", 1)[0]):
        return True
    return any(module == m or module.startswith(m + ".") for m in settings.langchain_modules)


def check_langchain_path(path: str) -> tuple[str, str]:
    """(module, attribute) of ``langchain:<path>`` if the path may be imported at all; imports
    and calls nothing, so ``langchain:subprocess.Popen`` is refused before anything runs."""
    model = f"langchain:{path}"
    settings = _settings(model)
    _refuse_in_safe_mode(model, settings, "langchain: models")
    if not _DOTTED.fullmatch(path):
        raise ProviderError(f"{model}: write the full import path, e.g. pkg.module.Class")
    module_name, _, attribute = path.rpartition(".")
    if not module_allowed(module_name, settings):
        raise ProviderError(
            f"{model}: {module_name} is not an allowed module: langchain: imports only "
            f"langchain_* integration packages and modules you list in {LANGCHAIN_MODULES_ENV} "
            f"or langchain_modules in {settings_path()}"
        )
    return module_name, attribute


def langchain_class(path: str) -> type[Any]:
    """The chat-model class ``langchain:<path>`` names, or a one-line `ProviderError`.

    Only an allowed module is imported; nothing is called: the caller builds the class only
    after this returned it, so a function or any other callable is never run.
    """
    model = f"langchain:{path}"
    module_name, attribute = check_langchain_path(path)
    from langchain_core.language_models import BaseChatModel

    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except ImportError as error:
        raise ProviderError(f"{model}: cannot import {module_name} ({error})") from None
    except AttributeError:
        raise ProviderError(f"{model}: {module_name} has no {attribute}") from None
    if not (isinstance(target, type) and issubclass(target, BaseChatModel)):
        raise ProviderError(
            f"{model}: {attribute} is not a langchain-core BaseChatModel class "
            f"(only chat-model classes are built, never other callables)"
        )
    return target


def check_local_name(name: str) -> None:
    """Refuse ``local/<path>.gguf`` outside the allowed directories (and in safe mode) before
    anything is loaded; the embedded ``local/smollm2`` is always allowed."""
    if name.endswith(".gguf"):
        model_file(name)


def model_file(name: str) -> Path:
    """The GGUF file ``local/<name>`` names, if it is under a directory the user allowed."""
    model = f"local/{name}"
    settings = _settings(model)
    _refuse_in_safe_mode(model, settings, "local model files")
    path = Path(name).expanduser().resolve()  # symlinks resolved: a link cannot lead out
    if not any(path.is_relative_to(d) for d in settings.model_dirs):
        allowed = ", ".join(str(d) for d in settings.model_dirs) or "none yet"
        raise ProviderError(
            f"{model}: {path} is not under an allowed model directory ({allowed}); add its "
            f"directory to {MODEL_DIRS_ENV} or model_dirs in {settings_path()}"
        )
    if not path.is_file():
        raise ProviderError(f"{model}: no such file")
    return path
