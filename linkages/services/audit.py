"""The audit trail: who did what to which record, from where. Written in the caller's unit of
work (same transaction as what it records), never from templates; the table is append-only."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from linkages.models import AuditEvent
from linkages.services.scope import Actor


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    FAMILY_LIST = "family.list"
    FAMILY_VIEW = "family.view"
    # An attempt to open a family that does not exist or is outside the actor's scope: the user
    # sees "not found", the audit keeps the difference for whoever reviews access.
    FAMILY_VIEW_REFUSED = "family.view_refused"
    USER_CREATE = "user.create"
    USER_RESET = "user.reset"


def record(
    session: Session,
    actor: Actor | None,
    action: AuditAction | str,
    entity_type: str | None = None,
    entity_id: object = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add one audit event to ``session``; the caller's commit writes it with the work it
    records. ``actor`` is None only when nobody is signed in (a failed login)."""
    event = AuditEvent(
        user_id=actor.user_id if actor else None,
        username=actor.username[:80] if actor else None,
        role=str(actor.role) if actor else None,
        county_cd=actor.county_cd if actor else None,
        action=str(action),
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id)[:60],
        detail=dict(detail or {}),
        ip_address=ip[:64] if ip else None,
    )
    session.add(event)
    return event
