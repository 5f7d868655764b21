"""Settings only the person running the playground can make: safe mode, extra modules a
``langchain:`` model may be imported from, directories ``local/<path>.gguf`` may load from, and
directories of dataset files the pages may read.

They come from the environment and from a user settings file, never from an experiment file,
an import or a page, so data cannot widen what this machine runs. The lowest layer: it imports
nothing from the playground.

Environment (each wins over the file when it widens nothing; safe mode is on if either says so):

- ``PLAYGROUND_SAFE=1``: refuse ``langchain:`` models and ``local/<path>.gguf`` files, and read
  dataset files only from the data directories (everywhere: CLI, experiment files, pages).
- ``PLAYGROUND_LANGCHAIN_MODULES=pkg_a,pkg_b.chat``: modules (and their submodules) a
  ``langchain:`` path may name besides the ``langchain_*`` integration packages.
- ``PLAYGROUND_MODEL_DIRS=/models:/data/gguf``: directories (``os.pathsep``-separated) whose
  ``.gguf`` files ``local/<path>`` may load.
- ``PLAYGROUND_DATA_DIRS=/data/quality:/data/gpqa``: directories (``os.pathsep``-separated)
  whose dataset files (QuALITY JSONL, GPQA/MMLU CSV, ``hf:`` folders and Parquet, JSONL) the
  pages may offer and load; the pages read no other file.
- ``PLAYGROUND_TEAM=1``: team mode (``playground app --team``): sign-in on every page, roles.
- ``PLAYGROUND_SETTINGS``: the settings file; by default ``settings.toml`` in the user's config
  directory (``~/.config/playground/settings.toml`` on Linux), with the same keys::

      safe = false
      langchain_modules = ["my_lab.chat"]
      model_dirs = ["~/models"]
      data_dirs = ["~/datasets"]
      team = false
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SAFE_ENV = "PLAYGROUND_SAFE"
LANGCHAIN_MODULES_ENV = "PLAYGROUND_LANGCHAIN_MODULES"
MODEL_DIRS_ENV = "PLAYGROUND_MODEL_DIRS"
DATA_DIRS_ENV = "PLAYGROUND_DATA_DIRS"
SETTINGS_ENV = "PLAYGROUND_SETTINGS"
TEAM_ENV = "PLAYGROUND_TEAM"

_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """The user settings file is unreadable or holds a bad value; the message is one line."""


class LocalSettings(BaseModel):
    """What this machine's user allows; the defaults allow the least."""

    model_config = ConfigDict(extra="forbid")

    safe: bool = Field(
        False, description="Refuse langchain: models and local GGUF paths altogether."
    )
    langchain_modules: list[str] = Field(
        default_factory=list,
        description="Modules (with their submodules) a langchain: path may name, besides the "
        "langchain_* integration packages.",
    )
    model_dirs: list[Path] = Field(
        default_factory=list,
        description="Directories whose .gguf files local/<path> may load (with subdirectories).",
    )
    data_dirs: list[Path] = Field(
        default_factory=list,
        description="Directories whose dataset files (with subdirectories) the pages may read, "
        "and, in safe mode, the only ones anything may read.",
    )
    team: bool = Field(
        False,
        description="Team mode: every page needs sign-in ([auth] in .streamlit/secrets.toml) "
        "and shows what the person's role allows.",
    )


def settings_path() -> Path:
    """The user settings file (it need not exist)."""
    named = os.environ.get(SETTINGS_ENV)
    if named:
        return Path(named).expanduser()
    return platformdirs.user_config_path("playground") / "settings.toml"


def _from_file(path: Path) -> LocalSettings:
    if not path.is_file():
        return LocalSettings()
    try:
        return LocalSettings.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"settings file {path}: cannot read it ({error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SettingsError(f"settings file {path}: {where}: {first['msg']}") from None


def _split(value: str, separator: str) -> list[str]:
    return [part.strip() for part in value.split(separator) if part.strip()]


def load_settings() -> LocalSettings:
    """The settings in force now: the file's, widened by the environment's lists, with safe mode
    on when either turns it on. Read afresh on every call (cheap), so a changed setting applies
    to the next model built."""
    settings = _from_file(settings_path())
    modules = [*settings.langchain_modules]
    modules += _split(os.environ.get(LANGCHAIN_MODULES_ENV, ""), ",")
    dirs = [*settings.model_dirs]
    dirs += [Path(p) for p in _split(os.environ.get(MODEL_DIRS_ENV, ""), os.pathsep)]
    data = [*settings.data_dirs]
    data += [Path(p) for p in _split(os.environ.get(DATA_DIRS_ENV, ""), os.pathsep)]
    safe = settings.safe or os.environ.get(SAFE_ENV, "").strip().lower() in _TRUE
    team = settings.team or os.environ.get(TEAM_ENV, "").strip().lower() in _TRUE
    return LocalSettings(
        safe=safe,
        team=team,
        langchain_modules=modules,
        model_dirs=[d.expanduser().resolve() for d in dirs],
        data_dirs=[d.expanduser().resolve() for d in data],
    )


def safe_mode() -> bool:
    """Whether safe mode is on (``PLAYGROUND_SAFE=1`` or ``safe = true`` in the settings file)."""
    return load_settings().safe


def team_mode() -> bool:
    """Whether team mode is on (``PLAYGROUND_TEAM=1`` or ``team = true`` in the settings file)."""
    return load_settings().team
