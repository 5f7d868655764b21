"""Pseudonymous rater ids for exports: ``rater-`` and 12 hex digits of SHA-256 over the store's
random salt and the person's email. Stable within one store (the salt is kept in it), so a
rater's judgments stay linked; not reversible from an export without the store. Emails appear
in an export only when asked for (``--with-emails``)."""

from __future__ import annotations

import hashlib

from ..store import Store
from ..store.team import rater_salt

__all__ = ["pseudonym", "pseudonymiser"]


def _hash(salt: str, email: str) -> str:
    digest = hashlib.sha256(f"{salt}\x00{email.strip().lower()}".encode()).hexdigest()
    return f"rater-{digest[:12]}"


def pseudonym(store: Store, email: str) -> str:
    """The rater id of one person in this store."""
    return _hash(rater_salt(store), email)


def pseudonymiser(store: Store):
    """A function email → rater id, reading the salt once (for exporting many rows)."""
    salt = rater_salt(store)
    return lambda email: _hash(salt, email)
