"""People of a team and their roles: owner (the first to sign in), researcher, annotator.

A person is their email, lower-cased; that string is the ``person``/``by`` every other part of
the playground takes. The owner invites, changes and removes people (each an audit event);
an annotator sees only their queue and their own progress, a researcher everything.
"""

from __future__ import annotations

from typing import Literal

from email_validator import EmailNotValidError, validate_email

from ..store import Store
from ..store.team import (
    PersonRow,
    claim_owner,
    delete_person,
    select_people,
    select_person,
    touch_sign_in,
    upsert_person,
)
from . import audit

__all__ = [
    "ROLES",
    "PersonRow",
    "Role",
    "TeamError",
    "everyone",
    "invite",
    "normalise_email",
    "person",
    "remove",
    "set_role",
    "sign_in",
]

Role = Literal["owner", "researcher", "annotator"]
ROLES: tuple[Role, ...] = ("owner", "researcher", "annotator")
INVITABLE: tuple[Role, ...] = ("researcher", "annotator")


class TeamError(ValueError):
    """A team change that cannot be made; the message is one line."""


def normalise_email(email: str) -> str:
    """The person id of an email: trimmed, lower-cased, checked for shape (no DNS lookup)."""
    text = (email or "").strip()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise TeamError(f"not an email address: {text[:80]!r} ({error})") from None
    return checked.normalized.lower()


def person(store: Store, email: str) -> PersonRow | None:
    """The stored person with this email, or None (not invited)."""
    return select_person(store, email.strip().lower())


def everyone(store: Store) -> list[PersonRow]:
    return select_people(store)


def sign_in(store: Store, email: str, name: str | None = None) -> PersonRow | None:
    """What a sign-in with this (provider-verified) email makes of its person: the first ever
    becomes the owner; an invited person is recorded as signed in; anyone else gets None (they
    may not use this team's app)."""
    email = normalise_email(email)
    if claim_owner(store, email, name):
        audit.record(store, email, "owner.claim", email)
    found = select_person(store, email)
    if found is None:
        return None
    touch_sign_in(store, email, name)
    audit.record(store, email, "person.sign_in", email)
    return select_person(store, email)


def _owner_only(store: Store, by: str) -> None:
    actor = select_person(store, by.strip().lower())
    if actor is None or actor.role != "owner":
        raise TeamError(f"{by}: only the owner may change who is on the team")


def _role(role: str) -> Role:
    if role not in INVITABLE:
        raise TeamError(f"role {role!r}: choose one of {', '.join(INVITABLE)}")
    return role  # type: ignore[return-value]


def invite(store: Store, email: str, role: str, *, by: str, name: str | None = None) -> PersonRow:
    """The owner adds a person with a role (researcher or annotator)."""
    _owner_only(store, by)
    email, role = normalise_email(email), _role(role)
    existing = select_person(store, email)
    if existing is not None:
        raise TeamError(f"{email} is on the team already (as {existing.role})")
    upsert_person(store, email, role, name=name, invited_by=by.strip().lower())
    audit.record(store, by, "person.invite", email, {"role": role})
    return select_person(store, email)  # type: ignore[return-value]


def set_role(store: Store, email: str, role: str, *, by: str) -> PersonRow:
    """The owner changes someone's role; the owner's own role does not change."""
    _owner_only(store, by)
    email, role = normalise_email(email), _role(role)
    existing = select_person(store, email)
    if existing is None:
        raise TeamError(f"{email} is not on the team")
    if existing.role == "owner":
        raise TeamError(f"{email} is the owner; the owner's role does not change")
    upsert_person(store, email, role, name=None, invited_by=None)
    audit.record(store, by, "person.role", email, {"from": existing.role, "to": role})
    return select_person(store, email)  # type: ignore[return-value]


def remove(store: Store, email: str, *, by: str) -> None:
    """The owner removes a person (what they judged stays, under their id)."""
    _owner_only(store, by)
    email = normalise_email(email)
    existing = select_person(store, email)
    if existing is None:
        raise TeamError(f"{email} is not on the team")
    if existing.role == "owner":
        raise TeamError(f"{email} is the owner and cannot be removed")
    delete_person(store, email)
    audit.record(store, by, "person.remove", email, {"role": existing.role})
