"""The audit trail: who created, changed or closed a study, who judged what, who changed whose
role, and when. Append-only; every write goes through `record`.

API (stable; the studies library calls it)::

    from playground.team import audit
    audit.record(store, actor, action, target, detail=None)
    audit.events(store, actor=None, target=None, action_prefix=None, limit=None)

- ``actor``: the person who did it (their email; lower-cased here) or ``"local"`` for the
  single-user app and the CLI.
- ``action``: a dotted verb, ``"<thing>.<verb>"``: ``study.create``, ``study.change``,
  ``study.close``, ``task.judge``, ``task.skip``, ``person.invite``, ``person.role``,
  ``person.remove``, ``person.sign_in``, ``owner.claim``.
- ``target``: what it was done to (a study id, ``study_id/task_id``, an email).
- ``detail``: a small JSON-able dict (e.g. ``{"verdict_id": ..., "seconds": ...}``); it is
  stored as given, so never put secrets in it.
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from ..store.team import AuditRow, insert_audit, select_audit

__all__ = ["AuditRow", "events", "record"]

LOCAL_ACTOR = "local"
"""The actor of anything done without sign-in (the single-user app, the CLI)."""


def record(
    store: Store, actor: str, action: str, target: str, detail: dict[str, Any] | None = None
) -> None:
    """Append one audit event (time: now, UTC). A blank actor, action or target is a
    `ValueError`: an event that cannot say who or what is no audit."""
    actor, action, target = actor.strip().lower(), action.strip(), str(target).strip()
    for what, value in (("actor", actor), ("action", action), ("target", target)):
        if not value:
            raise ValueError(f"audit event: {what} is empty")
    insert_audit(store, actor, action, target, dict(detail or {}))


def events(
    store: Store,
    *,
    actor: str | None = None,
    target: str | None = None,
    action_prefix: str | None = None,
    limit: int | None = None,
) -> list[AuditRow]:
    """Audit events, oldest first; ``limit`` keeps the newest that many."""
    return select_audit(
        store,
        actor=actor.strip().lower() if actor else None,
        target=target,
        action_prefix=action_prefix,
        limit=limit,
    )
