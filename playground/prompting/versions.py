"""Prompt versions in the store: save, look up, list and pin immutable, content-addressed wordings.

A version is a `PromptTemplate` (id, role, messages) kept in the ``prompt_versions`` table with an
optional note and its parent version. Its hash is `PromptTemplate.hash` of its messages, the value
every turn already records as ``prompt_hash``, so logged turns and verdicts link to versions with
no translation. A row is never updated: saving the same wording again returns the first row.
Template files in ``prompts/`` are versions too; they are registered (``source = "file"``) when
versions are listed or a run resolves them, so a wording that ran stays readable after its file
changes.

A reference is ``ID`` (the template file of that id) or ``ID@HASH`` with the full hash or a
unique prefix of at least 8 hex digits (a store version, or the file if its hash matches).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..prompts import PromptError, PromptTemplate, load_prompts
from ..records import utcnow
from ..store import Store
from ..store.prompt_versions import PromptVersion, insert_version, select_versions
from .validate import check_template

__all__ = [
    "MIN_PREFIX", "SOURCES", "PromptVersion", "check_id", "find_by_hash", "get_version",
    "list_versions", "parse_ref", "register_files", "resolve_prompt", "save_version",
]  # fmt: skip

MIN_PREFIX = 8
"""Shortest hash prefix a reference may use: what the analysis views show (``id@hash8``)."""
SOURCES = ("file", "page", "cli", "library")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*")
_HASH = re.compile(rf"[0-9a-f]{{{MIN_PREFIX},64}}")


def check_id(prompt_id: str) -> str:
    """A prompt id is path-like (``debate/judge``): letters, digits, ``_ . -`` and ``/``."""
    if len(prompt_id) > 200 or not _ID.fullmatch(prompt_id):
        raise PromptError(
            f"prompt id {prompt_id!r}: use letters, digits, '_', '.', '-' and '/' between "
            "names (e.g. debate/judge-strict)"
        )
    return prompt_id


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``ID`` or ``ID@HASH`` → (id, lower-case hash prefix or None), checked."""
    prompt_id, _, digest = ref.strip().partition("@")
    check_id(prompt_id)
    if not _:
        return prompt_id, None
    digest = digest.lower()
    if not _HASH.fullmatch(digest):
        raise PromptError(
            f"prompt {ref!r}: after '@' give the version hash or a prefix of at least "
            f"{MIN_PREFIX} hex digits"
        )
    return prompt_id, digest


# -- writing --------------------------------------------------------------------------------


def register_files(store: Store, directory: Path | None = None) -> list[PromptVersion]:
    """Record every template file's current wording as a version (once); return the new ones."""
    new = []
    for template in load_prompts(directory).values():
        version = PromptVersion(template=template, source="file", note=_file_note(template))
        if insert_version(store, version):
            new.append(version)
    return new


def _file_note(template: PromptTemplate) -> str | None:
    if not template.source:
        return None
    path = Path(template.source)
    return f"file {path.parent.name}/{path.name}"


def save_version(
    store: Store,
    template: PromptTemplate,
    *,
    note: str | None = None,
    parent: str | None = None,
    source: str = "library",
    validate: bool = True,
    directory: Path | None = None,
) -> tuple[PromptVersion, bool]:
    """Save a wording as a version; returns it and whether it is new.

    ``parent`` is the hash (or a unique prefix) of the version it was edited from. With
    ``validate`` the template's variables are checked against what the protocol passes to its
    role (`validate.check_template`), and a problem is a `PromptError` naming the variable.
    Saving a wording that is already a version of this id returns that version unchanged:
    versions are immutable, so its note and parent stay what they were.
    """
    check_id(template.id)
    if source not in SOURCES:
        raise PromptError(f"source must be one of {', '.join(SOURCES)}")
    register_files(store, directory)
    parent_version = find_by_hash(store, parent) if parent else None
    if validate:
        parent_id = parent_version.id if parent_version else None
        check = check_template(template, directory, parent_id=parent_id)
        if not check.ok:
            raise PromptError(f"prompt {template.id}: " + "; ".join(check.problems()))
    parent_hash = parent_version.hash if parent_version else None
    existing = get_version(store, template.id, template.hash)
    if existing is not None:
        return existing, False
    version = PromptVersion(
        template=template,
        source=source,
        note=(note or "").strip() or None,
        parent_hash=parent_hash,
        created_at=utcnow(),
    )
    if not insert_version(store, version):
        found = get_version(store, template.id, template.hash)
        assert found is not None
        return found, False
    return version, True


# -- reading --------------------------------------------------------------------------------


def get_version(store: Store, prompt_id: str, digest: str) -> PromptVersion | None:
    """The version of ``prompt_id`` with exactly this hash, if stored."""
    found = select_versions(store, prompt_id=prompt_id, digest=digest)
    return found[0] if found else None


def find_by_hash(store: Store, prefix: str) -> PromptVersion:
    """The one version, of any id, whose hash starts with ``prefix``: for a parent link."""
    prefix = prefix.lower()
    if not _HASH.fullmatch(prefix):
        raise PromptError(f"version {prefix!r}: give at least {MIN_PREFIX} hex digits")
    found = {v.hash: v for v in select_versions(store, prefix=prefix)}
    if len(found) != 1:
        what = "no version" if not found else f"{len(found)} versions"
        raise PromptError(f"{what} with hash {prefix}")
    return next(iter(found.values()))


def list_versions(
    store: Store,
    *,
    prompt_id: str | None = None,
    role: str | None = None,
    directory: Path | None = None,
) -> list[PromptVersion]:
    """Every version (template files registered first), oldest first; optionally one id or role."""
    register_files(store, directory)
    return select_versions(store, prompt_id=prompt_id, role=role)


def resolve_prompt(
    ref: str,
    store: Store | None = None,
    *,
    directory: Path | None = None,
    newest: bool = False,
) -> PromptTemplate:
    """The template a reference names (see the module docstring).

    ``ID`` is the template file; with ``newest`` an id that has no file gives its newest stored
    version (for browsing: an experiment must pin such a prompt). ``ID@HASH`` is looked up in the
    store, falling back to the file when the file's hash matches. With a store, the template
    resolved from a file is registered as a version.
    """
    prompt_id, digest = parse_ref(ref)
    files = load_prompts(directory)
    file = files.get(prompt_id)
    stored: list[PromptVersion] = []
    if store is not None:
        stored = select_versions(store, prompt_id=prompt_id, prefix=digest)
    if digest is None:
        if file is not None:
            return _registered(file, store)
        if stored and newest:
            return stored[-1].template
        if stored:
            raise PromptError(
                f"prompt {prompt_id!r} has no template file; pin a stored version, e.g. "
                f"{prompt_id}@{stored[-1].hash[:MIN_PREFIX]}"
            )
        known = ", ".join(sorted(files)) or "none"
        raise PromptError(f"unknown prompt {prompt_id!r} (known: {known})")
    matches = {v.hash: v.template for v in stored}
    if file is not None and file.hash.startswith(digest):
        matches.setdefault(file.hash, file)
    if len(matches) > 1:
        listed = ", ".join(sorted(h[:12] for h in matches))
        raise PromptError(f"prompt {prompt_id}@{digest} is ambiguous ({listed}): give more digits")
    if not matches:
        looked = "in the store or prompts/" if store is not None else "in prompts/ (no store given)"
        raise PromptError(f"no version {digest} of prompt {prompt_id!r} {looked}")
    template = next(iter(matches.values()))
    return _registered(template, store) if template is file else template


def _registered(template: PromptTemplate, store: Store | None) -> PromptTemplate:
    if store is not None:
        insert_version(
            store, PromptVersion(template=template, source="file", note=_file_note(template))
        )
    return template
