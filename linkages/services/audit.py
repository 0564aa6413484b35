"""The audit trail: who did what to which record, from where. Written in the caller's unit of
work (same transaction as what it records), never from templates; the table is append-only."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from linkages.models import AuditEvent
from linkages.models.base import utcnow
from linkages.services.scope import Actor

_EVENT_COLUMNS = ("occurred_at", "user_id", "username", "role", "county_cd", "action",
                  "entity_type", "entity_id", "ip_address", "family_id")


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    # The password was right and a second-factor code is asked for: not yet signed in.
    LOGIN_PASSWORD_OK = "login.password_ok"
    LOGIN_SECOND_FACTOR_FAILED = "login.second_factor_failed"
    LOGIN_THROTTLED = "login.throttled"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    TWO_FACTOR_ENABLED = "two_factor.enabled"
    TWO_FACTOR_DISABLED = "two_factor.disabled"
    TWO_FACTOR_RESET = "two_factor.reset"
    RECOVERY_CODES_NEW = "two_factor.recovery_codes"
    RECOVERY_CODE_USED = "two_factor.recovery_code_used"
    FAMILY_LIST = "family.list"
    FAMILY_VIEW = "family.view"
    # An attempt to open a family that does not exist or is outside the actor's scope: the user
    # sees "not found", the audit keeps the difference for whoever reviews access.
    FAMILY_VIEW_REFUSED = "family.view_refused"
    USER_CREATE = "user.create"
    USER_RESET = "user.reset"
    USER_UPDATE = "user.update"
    USER_DEACTIVATE = "user.deactivate"
    USER_REACTIVATE = "user.reactivate"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_LIST = "user.list"
    USER_VIEW = "user.view"
    # Evaluators' de-identified linked-cohort exports.
    EXPORT_CREATE = "export.create"
    EXPORT_DOWNLOAD = "export.download"
    EXPORT_DOWNLOAD_REFUSED = "export.download_refused"
    EXPORT_LIST = "export.list"
    EXPORT_PURGE = "export.purge"
    # The audit log viewer reads the trail, and that reading is itself in the trail.
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    # The mutual-family registry: what a run of record changed, and an administrator's undo.
    FAMILY_REGISTRY_CHANGE = "family.registry_change"
    FAMILY_REGISTRY_UNDO = "family.registry_undo"
    MATCH_RUN_RECORD = "match_run.record"
    MATCH_RUN_UNDO = "match_run.undo"
    # Co-case-management: a view of a workspace section, and each change, with before/after.
    WORKSPACE_VIEW = "workspace.view"
    DASHBOARD_VIEW = "dashboard.view"
    CONSENT_RECORD = "consent.record"
    CONSENT_REVOKE = "consent.revoke"
    WORKER_ASSIGN = "worker.assign"
    WORKER_UNASSIGN = "worker.unassign"
    FAMILY_STATUS = "family.status"
    MEETING_SCHEDULE = "meeting.schedule"
    MEETING_UPDATE = "meeting.update"
    MEETING_CANCEL = "meeting.cancel"
    MEETING_PARTICIPANT_ADD = "meeting.participant_add"
    MEETING_PARTICIPANT_REMOVE = "meeting.participant_remove"
    MEETING_ACTION_ADD = "meeting.action_add"
    MEETING_ACTION_REMOVE = "meeting.action_remove"
    MEETING_RECORD = "meeting.record"
    ACTION_STATUS = "action_item.status"
    PLAN_CREATE = "plan.create"
    PLAN_UPDATE = "plan.update"
    PLAN_SUBMIT = "plan.submit"
    PLAN_RETURN = "plan.return"
    PLAN_APPROVE = "plan.approve"
    PLAN_REVISE = "plan.revise"
    PLAN_ACKNOWLEDGE = "plan.acknowledge"
    PLAN_GOAL_ADD = "plan.goal_add"
    PLAN_GOAL_UPDATE = "plan.goal_update"
    PLAN_ACTIVITY_ADD = "plan.activity_add"
    PLAN_ACTIVITY_UPDATE = "plan.activity_update"
    PLAN_ACTIVITY_REMOVE = "plan.activity_remove"
    SERVICE_REQUEST = "service.request"
    SERVICE_APPROVE = "service.approve"
    SERVICE_DENY = "service.deny"
    SERVICE_DELIVER = "service.deliver"
    SERVICE_CANCEL = "service.cancel"
    NOTE_ADD = "note.add"
    CASEWORK_GENERATE = "casework.generate"
    # Program managers' reports and the clerical review queue.
    REPORT_BUILD = "report.build"
    REPORT_VIEW = "report.view"
    REPORT_EXPORT = "report.export"
    REVIEW_QUEUE_VIEW = "review.queue_view"
    REVIEW_PAIR_VIEW = "review.pair_view"
    REVIEW_DECIDE = "review.decide"
    REVIEW_SKIP = "review.skip"
    USER_REVIEWER = "user.reviewer"


def record(
    session: Session,
    actor: Actor | None,
    action: AuditAction | str,
    entity_type: str | None = None,
    entity_id: object = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
    *,
    family_id: int | None = None,
) -> AuditEvent:
    """Add one audit event to ``session``; the caller's commit writes it with the work it
    records. ``actor`` is None only when nobody is signed in (a failed login). ``family_id``
    files the event in that family's history; an event about a mutual family itself is filed
    there without being told."""
    event = AuditEvent(**event_values(actor, action, entity_type, entity_id, detail, ip,
                                      family_id=family_id))
    session.add(event)
    pending(session).append(event)
    return event


def event_values(
    actor: Actor | None,
    action: AuditAction | str,
    entity_type: str | None = None,
    entity_id: object = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
    *,
    family_id: int | None = None,
) -> dict[str, Any]:
    """The columns of one audit event (also for bulk inserts by the command line's services)."""
    if family_id is None and entity_type == "mutual_family" and entity_id is not None:
        try:
            family_id = int(str(entity_id))
        except ValueError:
            family_id = None
    return {
        "occurred_at": utcnow(),
        "user_id": actor.user_id if actor else None,
        "username": actor.username[:80] if actor else None,
        "role": str(actor.role) if actor else None,
        "county_cd": actor.county_cd if actor else None,
        "action": str(action),
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id)[:60],
        "detail": dict(detail or {}),
        "ip_address": ip[:64] if ip else None,
        "family_id": family_id,
    }


def pending(session: Session) -> list[AuditEvent]:
    """The events recorded in ``session`` since its last commit (see :func:`keep_after_failure`)."""
    events: list[AuditEvent] = session.info.setdefault("audit_pending", [])
    return events


def keep_after_failure(session: Session, reason: str) -> int:
    """Roll back a failed unit of work but keep its audit trail: every event it recorded (a
    refused view, a sign-in, an attempted change) is written again in a transaction of its own,
    marked with ``request_failed``, so a failure never erases the record of what was tried.
    Returns how many were kept."""
    kept = [{**{c: getattr(e, c) for c in _EVENT_COLUMNS},
             "detail": {**(e.detail or {}), "request_failed": reason}} for e in pending(session)]
    session.rollback()
    session.info["audit_pending"] = []
    if kept:
        session.execute(insert(AuditEvent), kept)
        session.commit()
    return len(kept)


@event.listens_for(Session, "after_commit")
def _written(session: Session) -> None:
    session.info.pop("audit_pending", None)
