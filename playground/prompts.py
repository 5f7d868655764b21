"""Versioned prompt templates: data files in ``prompts/``, chat messages in langchain-core's
f-string template format.

Each template has an id (``debate/judge``) and a content hash (sha256 of its messages), and both
are stored with every call that used it, so a verdict can be traced to the exact wording.

Rendering uses langchain-core's own f-string formatter (``langchain_core.utils.formatting``,
what ``ChatPromptTemplate`` formats with) and its variable rules, without importing its prompt
stack (about a second of start-up: the tracers and langsmith); `PromptTemplate.chat_template`
builds the ``ChatPromptTemplate`` itself when a caller wants one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Any

from langchain_core.utils.formatting import formatter

from .providers.base import Message, Role

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate

_ROLES: dict[str, Role] = {"system": "system", "user": "user", "assistant": "assistant"}


class PromptError(ValueError):
    """A template file or a rendering of it is wrong; the message names the template and field."""


PACKAGED = "playground._prompts"
"""The top-level ``prompts/`` folder as the build ships it inside the package (see setup.py)."""


def default_prompts_dir() -> Path:
    """``$PLAYGROUND_PROMPTS``; else the checkout's ``prompts/`` folder when running from a source
    tree (so edits there count at once); else the copy installed with the package."""
    if "PLAYGROUND_PROMPTS" in os.environ:
        return Path(os.environ["PLAYGROUND_PROMPTS"])
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "prompts").is_dir():
        return root / "prompts"
    spec = importlib.util.find_spec(PACKAGED)
    if spec is None or not spec.submodule_search_locations:
        return root / "prompts"  # load_prompts says it is missing
    return Path(next(iter(spec.submodule_search_locations)))


PROMPTS_DIR = default_prompts_dir()
"""Where template files live; ``PLAYGROUND_PROMPTS`` points elsewhere."""

_EXTRA_DIRS: list[Path] = []
"""Template folders of protocols from outside the package (`add_prompt_dir`)."""


def add_prompt_dir(directory: Path) -> None:
    """Also read templates from ``directory`` (a protocol that brings its own prompt files,
    registered by `playground.protocols.register`); its ids must not clash with others."""
    if directory not in _EXTRA_DIRS:
        _EXTRA_DIRS.append(directory)


def remove_prompt_dir(directory: Path) -> None:
    if directory in _EXTRA_DIRS:
        _EXTRA_DIRS.remove(directory)


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt version: id, role it is written for, and its chat messages."""

    id: str
    messages: tuple[tuple[Role, str], ...]
    role: str = ""
    description: str = ""
    source: str | None = field(default=None, compare=False)

    @cached_property
    def hash(self) -> str:
        """sha256 of the messages only: editing the description does not make a new version."""
        canonical = json.dumps([list(m) for m in self.messages], ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def chat_template(self) -> ChatPromptTemplate:
        """The same messages as a langchain-core ``ChatPromptTemplate`` (imported only here)."""
        from langchain_core.prompts import ChatPromptTemplate

        return ChatPromptTemplate.from_messages(
            [(role, content) for role, content in self.messages], template_format="f-string"
        )

    @cached_property
    def variables(self) -> list[str]:
        """The variables the messages use, sorted (`f_string_variables`)."""
        return sorted({v for _, content in self.messages for v in f_string_variables(content)})

    def render(self, **values: Any) -> list[Message]:
        """Fill the template; a missing variable is an error naming it, never a silent blank."""
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise PromptError(f"prompt {self.id}: missing variable(s) {', '.join(missing)}")
        used = {k: values[k] for k in self.variables}
        return [
            Message(role=role, content=formatter.format(content, **used))
            for role, content in self.messages
        ]


def f_string_variables(template: str) -> set[str]:
    """The variables of an f-string template, refused as langchain-core's
    ``validate_f_string_template`` refuses them (attribute access or indexing, all digits,
    nested fields in a format spec), with a ValueError; a stray brace is a ValueError too."""
    found = set()
    for _, name, spec, _ in Formatter().parse(template):
        if name is None:
            continue
        if "." in name or "[" in name or "]" in name:
            raise ValueError(
                f"Invalid variable name {name!r} in f-string template. Variable names cannot "
                "contain attribute access (.) or indexing ([])."
            )
        if name.isdigit() or not name:
            raise ValueError(
                f"Invalid variable name {name!r} in f-string template. Variable names cannot "
                "be all digits or empty as they are interpreted as positional arguments."
            )
        if spec and ("{" in spec or "}" in spec):
            raise ValueError(
                "Invalid format specifier in f-string template. Nested replacement fields are "
                "not allowed."
            )
        found.add(name)
    return found


def parse_template(data: dict[str, Any], source: str) -> PromptTemplate:
    """Build a template from a file's parsed contents, checking each field."""
    unknown = set(data) - {"id", "role", "description", "messages"}
    if unknown:
        raise PromptError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise PromptError(f"{source}: field 'id' must be a non-empty string")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise PromptError(f"{source}: field 'messages' must be a non-empty list")
    messages: list[tuple[Role, str]] = []
    for n, message in enumerate(raw_messages, 1):
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES:
            raise PromptError(f"{source}: message {n}: role must be one of {', '.join(_ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise PromptError(f"{source}: message {n}: content must be a non-empty string")
        messages.append((_ROLES[role], content))
    template = PromptTemplate(
        id=data["id"],
        messages=tuple(messages),
        role=str(data.get("role", "")),
        description=str(data.get("description", "")),
        source=source,
    )
    try:
        template.variables  # noqa: B018 - parse now so a bad brace is reported at load time
    except (ValueError, KeyError) as exc:
        raise PromptError(f"{source}: cannot parse template: {exc}") from None
    return template


def load_template(path: Path) -> PromptTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"{path}: not valid TOML ({exc})") from None
    return parse_template(data, str(path))


def load_prompts(directory: Path | None = None) -> dict[str, PromptTemplate]:
    """Every template under the prompts directory, by id (with no ``directory`` given, also
    those of the folders protocols added with `add_prompt_dir`)."""
    if directory is None and not PROMPTS_DIR.is_dir():
        raise PromptError(
            f"prompts directory {PROMPTS_DIR} does not exist (set PLAYGROUND_PROMPTS to one)"
        )
    folders = [directory] if directory is not None else [PROMPTS_DIR, *_EXTRA_DIRS]
    templates: dict[str, PromptTemplate] = {}
    for path in [p for folder in folders for p in sorted(folder.rglob("*.toml"))]:
        template = load_template(path)
        if template.id in templates:
            raise PromptError(f"{path}: duplicate prompt id {template.id!r}")
        templates[template.id] = template
    return templates


def get_prompt(prompt_id: str, directory: Path | None = None) -> PromptTemplate:
    templates = load_prompts(directory)
    try:
        return templates[prompt_id]
    except KeyError:
        known = ", ".join(sorted(templates)) or "none"
        raise PromptError(f"unknown prompt {prompt_id!r} (known: {known})") from None
