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
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..prompts import PromptError, PromptTemplate, load_prompts
from ..records import utcnow
from ..store import Store
from ..store.views import aware
from .validate import check_template

MIN_PREFIX = 8
"""Shortest hash prefix a reference may use: what the analysis views show (``id@hash8``)."""
SOURCES = ("file", "page", "cli", "library")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*")
_HASH = re.compile(rf"[0-9a-f]{{{MIN_PREFIX},64}}")


@dataclass(frozen=True, kw_only=True)
class PromptVersion:
    """One stored version: its template, why it was made, and what it was made from."""

    template: PromptTemplate
    source: str
    note: str | None = None
    parent_hash: str | None = None
    created_at: datetime | None = None

    @property
    def id(self) -> str:
        return self.template.id

    @property
    def hash(self) -> str:
        return self.template.hash

    @property
    def role(self) -> str:
        return self.template.role

    @property
    def ref(self) -> str:
        """``id@hash12``: short enough to read, long enough to pin."""
        return f"{self.id}@{self.hash[:12]}"

    @property
    def pin(self) -> str:
        """``id@<full hash>``, for an experiment's ``prompt`` key."""
        return f"{self.id}@{self.hash}"


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


# -- the table ------------------------------------------------------------------------------

_tables: weakref.WeakKeyDictionary[Store, sa.Table] = weakref.WeakKeyDictionary()


def _table(store: Store) -> sa.Table:
    """The ``prompt_versions`` table, read back by reflection like the store's own tables
    (migration m003 is its one definition)."""
    table = _tables.get(store)
    if table is None:
        table = sa.Table("prompt_versions", sa.MetaData(), autoload_with=store.engine)
        _tables[store] = table
    return table


def _from_row(row: Any) -> PromptVersion:
    template = PromptTemplate(
        id=row.prompt_id,
        messages=tuple((role, content) for role, content in row.messages),
        role=row.role,
        description=row.description,
        source=f"store:{row.hash[:12]}",
    )
    if template.hash != row.hash:
        raise PromptError(f"prompt {row.prompt_id}@{row.hash[:12]}: stored messages do not match")
    return PromptVersion(
        template=template,
        source=row.source,
        note=row.note,
        parent_hash=row.parent_hash,
        created_at=aware(row.created_at),
    )


def _insert(store: Store, version: PromptVersion) -> bool:
    """Insert a version unless (id, hash) is there already; returns whether it was new."""
    table = _table(store)
    row = {
        "prompt_id": version.id,
        "hash": version.hash,
        "role": version.role,
        "messages": [list(m) for m in version.template.messages],
        "description": version.template.description,
        "note": version.note,
        "parent_hash": version.parent_hash,
        "source": version.source,
        "created_at": version.created_at or utcnow(),
    }
    try:
        with store.engine.begin() as conn:
            conn.execute(table.insert(), row)
    except sa.exc.IntegrityError:
        return False  # saved before (perhaps at this very moment by another process)
    return True


def _select(store: Store, *where: Any) -> list[PromptVersion]:
    table = _table(store)
    query = sa.select(table).where(*where).order_by(table.c.created_at, table.c.hash)
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(query)]


# -- writing --------------------------------------------------------------------------------


def register_files(store: Store, directory: Path | None = None) -> list[PromptVersion]:
    """Record every template file's current wording as a version (once); return the new ones."""
    new = []
    for template in load_prompts(directory).values():
        version = PromptVersion(template=template, source="file", note=_file_note(template))
        if _insert(store, version):
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
    if not _insert(store, version):
        found = get_version(store, template.id, template.hash)
        assert found is not None
        return found, False
    return version, True


# -- reading --------------------------------------------------------------------------------


def get_version(store: Store, prompt_id: str, digest: str) -> PromptVersion | None:
    """The version of ``prompt_id`` with exactly this hash, if stored."""
    table = _table(store)
    found = _select(store, table.c.prompt_id == prompt_id, table.c.hash == digest)
    return found[0] if found else None


def find_by_hash(store: Store, prefix: str) -> PromptVersion:
    """The one version, of any id, whose hash starts with ``prefix``: for a parent link."""
    prefix = prefix.lower()
    if not _HASH.fullmatch(prefix):
        raise PromptError(f"version {prefix!r}: give at least {MIN_PREFIX} hex digits")
    table = _table(store)
    found = {v.hash: v for v in _select(store, table.c.hash.startswith(prefix))}
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
    table = _table(store)
    where = []
    if prompt_id is not None:
        where.append(table.c.prompt_id == prompt_id)
    if role is not None:
        where.append(table.c.role == role)
    return _select(store, *where)


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
        table = _table(store)
        where = [table.c.prompt_id == prompt_id]
        if digest:
            where.append(table.c.hash.startswith(digest))
        stored = _select(store, *where)
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
        _insert(store, PromptVersion(template=template, source="file", note=_file_note(template)))
    return template
